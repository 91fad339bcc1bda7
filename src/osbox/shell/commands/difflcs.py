"""The line comparison behind diff: Myers' O(ND) algorithm (E. Myers, "An
O(ND) Difference Algorithm and Its Variations", 1986), split at the middle
snake and recursed, then change runs slid to the canonical place GNU
diffutils puts them (as far down as they go, unless they can line up with a
change in the other file). ``compare(a, b)`` returns the changed flags of
both sequences; ``hunks`` groups them into (a_start, a_end, b_start, b_end).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["compare", "hunks"]


def _middle_snake(
    a: Sequence[int], b: Sequence[int], xoff: int, xlim: int, yoff: int, ylim: int
) -> tuple[int, int]:
    """A point (x, y) on an optimal path from (xoff, yoff) to (xlim, ylim)."""
    dmin, dmax = xoff - ylim, xlim - yoff
    fmid, bmid = xoff - yoff, xlim - ylim
    odd = (fmid - bmid) & 1
    fd: dict[int, int] = {fmid: xoff}
    bd: dict[int, int] = {bmid: xlim}
    fmin = fmax = fmid
    bmin = bmax = bmid
    while True:
        # forward: extend the reach of each diagonal by one edit
        if fmin > dmin:
            fmin -= 1
            fd[fmin - 1] = -1
        else:
            fmin += 1
        if fmax < dmax:
            fmax += 1
            fd[fmax + 1] = -1
        else:
            fmax -= 1
        for d in range(fmax, fmin - 1, -2):
            lo, hi = fd.get(d - 1, -1), fd.get(d + 1, -1)
            x = lo + 1 if lo >= hi else hi
            y = x - d
            while x < xlim and y < ylim and a[x] == b[y]:
                x += 1
                y += 1
            fd[d] = x
            if odd and bmin <= d <= bmax and bd.get(d, xlim + 1) <= x:
                return x, y
        # backward
        if bmin > dmin:
            bmin -= 1
            bd[bmin - 1] = 1 << 60
        else:
            bmin += 1
        if bmax < dmax:
            bmax += 1
            bd[bmax + 1] = 1 << 60
        else:
            bmax -= 1
        for d in range(bmax, bmin - 1, -2):
            lo, hi = bd.get(d - 1, 1 << 60), bd.get(d + 1, 1 << 60)
            x = lo if lo < hi else hi - 1
            y = x - d
            while x > xoff and y > yoff and a[x - 1] == b[y - 1]:
                x -= 1
                y -= 1
            bd[d] = x
            if not odd and fmin <= d <= fmax and x <= fd.get(d, -1):
                return x, y


def _compareseq(
    a: Sequence[int],
    b: Sequence[int],
    ca: list[bool],
    cb: list[bool],
    xoff: int,
    xlim: int,
    yoff: int,
    ylim: int,
) -> None:
    stack = [(xoff, xlim, yoff, ylim)]
    while stack:
        xoff, xlim, yoff, ylim = stack.pop()
        while xoff < xlim and yoff < ylim and a[xoff] == b[yoff]:
            xoff += 1
            yoff += 1
        while xlim > xoff and ylim > yoff and a[xlim - 1] == b[ylim - 1]:
            xlim -= 1
            ylim -= 1
        if xoff == xlim:
            for k in range(yoff, ylim):
                cb[k] = True
        elif yoff == ylim:
            for k in range(xoff, xlim):
                ca[k] = True
        else:
            x, y = _middle_snake(a, b, xoff, xlim, yoff, ylim)
            stack.append((x, xlim, y, ylim))
            stack.append((xoff, x, yoff, y))


def _slide(seq: Sequence[int], changed: list[bool], other: list[bool]) -> None:
    """Move each run of changes down as far as equal lines allow, merging
    with neighbouring runs; then back up to line up with a run of changes in
    the other sequence when one was passed. ``changed``/``other`` carry a
    False sentinel at both ends (index 0 and len+1)."""
    n = len(seq)

    def eq(i: int, k: int) -> bool:  # indices into the padded arrays
        return seq[i - 1] == seq[k - 1]

    end = n + 1
    i = j = 1
    while True:
        while i < end and not changed[i]:
            while other[j]:
                j += 1
            j += 1
            i += 1
        if i == end:
            return
        start = i
        i += 1
        while changed[i]:
            i += 1
        while other[j]:
            j += 1
        while True:
            run = i - start
            while start > 1 and eq(start - 1, i - 1):
                start -= 1
                i -= 1
                changed[start] = True
                changed[i] = False
                while changed[start - 1]:
                    start -= 1
                j -= 1
                while other[j]:
                    j -= 1
            corresponding = i if other[j - 1] else end
            while i != end and eq(start, i):
                changed[start] = False
                changed[i] = True
                start += 1
                i += 1
                while changed[i]:
                    i += 1
                j += 1
                while other[j]:
                    j += 1
                    corresponding = i
            if run == i - start:
                break
        while corresponding < i:
            start -= 1
            i -= 1
            changed[start] = True
            changed[i] = False
            j -= 1
            while other[j]:
                j -= 1


def compare(a: Sequence[int], b: Sequence[int]) -> tuple[list[bool], list[bool]]:
    """Changed flags (padded: index k+1 is element k) for ``a`` and ``b``,
    sequences of line ids (equal lines, equal ids)."""
    ca = [False] * (len(a) + 2)
    cb = [False] * (len(b) + 2)
    # Lines with no match at all in the other file cannot be part of the
    # common subsequence: mark them changed and leave them out of the
    # search (GNU's "confusing lines" discarding), which also steers which
    # of several minimal scripts is found.
    in_a = set(a)
    in_b = set(b)
    keep_a = [k for k, x in enumerate(a) if x in in_b]
    keep_b = [k for k, x in enumerate(b) if x in in_a]
    for k, x in enumerate(a):
        if x not in in_b:
            ca[k + 1] = True
    for k, x in enumerate(b):
        if x not in in_a:
            cb[k + 1] = True
    ua = [a[k] for k in keep_a]
    ub = [b[k] for k in keep_b]
    inner_a = [False] * len(ua)
    inner_b = [False] * len(ub)
    _compareseq(ua, ub, inner_a, inner_b, 0, len(ua), 0, len(ub))
    for k, flag in zip(keep_a, inner_a, strict=True):
        if flag:
            ca[k + 1] = True
    for k, flag in zip(keep_b, inner_b, strict=True):
        if flag:
            cb[k + 1] = True
    _slide(a, ca, cb)
    _slide(b, cb, ca)
    return ca, cb


def hunks(a: Sequence[int], b: Sequence[int]) -> list[tuple[int, int, int, int]]:
    """The changes as (a_start, a_end, b_start, b_end), 0-based half-open."""
    ca, cb = compare(a, b)
    out: list[tuple[int, int, int, int]] = []
    i = j = 0
    na, nb = len(a), len(b)
    while i < na or j < nb:
        if (i < na and ca[i + 1]) or (j < nb and cb[j + 1]):
            si, sj = i, j
            while i < na and ca[i + 1]:
                i += 1
            while j < nb and cb[j + 1]:
                j += 1
            out.append((si, i, sj, j))
        else:
            i += 1
            j += 1
    return out
