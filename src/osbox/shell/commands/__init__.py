"""Every command program; importing this package registers them all."""

from . import (
    cat,  # noqa: F401
    copy,  # noqa: F401
    datecmd,  # noqa: F401
    diff,  # noqa: F401
    du,  # noqa: F401
    echo,  # noqa: F401
    envcmds,  # noqa: F401
    find,  # noqa: F401
    grep,  # noqa: F401
    gzip,  # noqa: F401
    headtail,  # noqa: F401
    ident,  # noqa: F401
    kill,  # noqa: F401
    ln,  # noqa: F401
    ls,  # noqa: F401
    mkdir,  # noqa: F401
    paths,  # noqa: F401
    perms,  # noqa: F401
    ps,  # noqa: F401
    remove,  # noqa: F401
    sed,  # noqa: F401
    seq,  # noqa: F401
    sleep,  # noqa: F401
    sortuniq,  # noqa: F401
    stat,  # noqa: F401
    tar,  # noqa: F401
    tee,  # noqa: F401
    touch,  # noqa: F401
    trcut,  # noqa: F401
    truefalse,  # noqa: F401
    wc,  # noqa: F401
    which,  # noqa: F401
    xargs,  # noqa: F401
)
