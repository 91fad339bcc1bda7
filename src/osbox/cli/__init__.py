"""The ``osbox`` command line (console script ``osbox.cli.main:main``).

``osbox run`` runs Python code inside a machine; ``ls``, ``cat``, ``tree`` and
``stat`` look at a machine's files; ``put`` and ``get`` copy trees between the
host and a machine; ``fsck`` checks a machine file. Every command picks its
machine with ``--machine PATH`` (or ``$OSBOX_MACHINE``, default
``.osbox/machine.db``) or ``--memory``; see ``osbox.cli.common``.
"""
