"""``signal`` in Python code running in a machine: ``signal.signal`` and
``getsignal`` act on the virtual process, handlers run at its check points,
``alarm``/``setitimer``/``pause`` are the machine's, and a Python child
starts with CPython's dispositions. Each body runs on the machine backends
of ``procenv`` and, where marked ``env``/``penv``, on the host, the oracle.
"""

from __future__ import annotations

import errno
import signal
import time
from typing import Any

from .procenv import DUP2, OPEN, PY, WFLAGS, Env, _exited, _signaled, env, inside, menv, penv

__all__ = ["env", "menv", "penv"]  # fixtures, imported for pytest


def _wait_for(e: Env, name: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            e.os.stat(e.path(name))
            return
        except FileNotFoundError:
            assert time.monotonic() < deadline, f"{name} never appeared"
            time.sleep(0.01)


def _spawn_python(e: Env, code: str) -> tuple[int, str]:
    """Start ``PY -c code`` with stdout and stderr to a file; (pid, file)."""
    out = e.path(f"out-{time.monotonic_ns()}")
    actions = [(OPEN, 1, out, WFLAGS, 0o644), (DUP2, 1, 2)]
    pid = e.os.posix_spawn(PY, [PY, "-c", code], e.os.environ, file_actions=actions)
    return pid, out


@inside
def test_python_starts_with_cpythons_dispositions(env: Env) -> None:
    code = (
        "import signal as s\n"
        "print([s.getsignal(n) for n in (s.SIGPIPE, s.SIGXFSZ, s.SIGTERM, s.SIGUSR1)],\n"
        "      s.getsignal(s.SIGINT) is s.default_int_handler)\n"
    )
    status, out = env.python(code)
    assert (status, out) == (
        0,
        "[<Handlers.SIG_IGN: 1>, <Handlers.SIG_IGN: 1>, "
        "<Handlers.SIG_DFL: 0>, <Handlers.SIG_DFL: 0>] True\n",
    )


@inside
def test_signal_returns_the_previous_handler_and_ign_is_honoured(env: Env) -> None:
    code = (
        "import os, signal as s\n"
        "def h(n, f): pass\n"
        "print(repr(s.signal(s.SIGTERM, h)), s.signal(s.SIGTERM, s.SIG_IGN) is h,\n"
        "      repr(s.getsignal(s.SIGTERM)))\n"
        "os.kill(os.getpid(), s.SIGTERM)\n"
        "print('alive', repr(s.signal(s.SIGTERM, s.SIG_DFL)))\n"
        "os.kill(os.getpid(), s.SIGTERM)\n"
        "print('not reached')\n"
    )
    status, out = env.python(code)
    _signaled(env.os, status, signal.SIGTERM)
    assert out == "<Handlers.SIG_DFL: 0> True <Handlers.SIG_IGN: 1>\nalive <Handlers.SIG_IGN: 1>\n"


@inside
def test_signal_argument_errors(env: Env) -> None:
    code = (
        "import signal as s\n"
        "for call in (lambda: s.signal(s.SIGKILL, print), lambda: s.signal(0, print),\n"
        "             lambda: s.signal(s.SIGUSR1, 5), lambda: s.getsignal(99),\n"
        "             lambda: s.raise_signal(99), lambda: s.alarm(1.5),\n"
        "             lambda: s.setitimer(s.ITIMER_REAL, -1), lambda: s.setitimer(7, 1)):\n"
        "    try:\n"
        "        call()\n"
        "    except Exception as e:\n"
        "        print(type(e).__name__, e)\n"
    )
    status, out = env.python(code)
    assert status == 0
    assert out.splitlines() == [
        "OSError [Errno 22] Invalid argument",
        "ValueError signal number out of range",
        "TypeError signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object",
        "ValueError signal number out of range",
        "OSError [Errno 22] Invalid argument",
        "TypeError 'float' object cannot be interpreted as an integer",
        "itimer_error [Errno 22] Invalid argument",
        "itimer_error [Errno 22] Invalid argument",
    ]


@inside
def test_handler_runs_when_another_process_signals_a_paused_child(env: Env) -> None:
    ready = env.path("ready")
    # The signal may come before pause(): on the host the handler then runs
    # at once and pause() would wait for ever, so SIGALRM wakes it every 50 ms.
    code = (
        "import signal as s\n"
        "got = []\n"
        "def h(n, frame): got.append(n); print('got', n, frame.f_code.co_name, flush=True)\n"
        "s.signal(s.SIGUSR1, h)\n"
        "s.signal(s.SIGALRM, lambda n, f: None)\n"
        "s.setitimer(s.ITIMER_REAL, 0.05, 0.05)\n"
        f"open({ready!r}, 'w').close()\n"
        "while not got:\n"
        "    s.pause()\n"
        "print('resumed')\n"
    )
    pid, out = _spawn_python(env, code)
    _wait_for(env, "ready")
    env.os.kill(pid, signal.SIGUSR1)
    _exited(env.os, env.os.waitpid(pid, 0)[1], 0)
    assert env.read(out) == f"got {int(signal.SIGUSR1)} <module>\nresumed\n"


@inside
def test_alarm_and_itimer_real(env: Env) -> None:
    code = (
        "import signal as s, time\n"
        "ticks = []\n"
        "s.signal(s.SIGALRM, lambda n, f: ticks.append(n))\n"
        "print(s.alarm(10), s.alarm(0), s.getitimer(s.ITIMER_REAL))\n"
        "start = time.monotonic()\n"
        "s.setitimer(s.ITIMER_REAL, 0.05, 0.05)\n"
        "while len(ticks) < 3:\n"
        "    s.pause()\n"
        "old = s.setitimer(s.ITIMER_REAL, 0)\n"
        "print(ticks, 0 < old[0] <= 0.05, old[1], time.monotonic() - start < 5)\n"
        "s.signal(s.SIGALRM, s.SIG_DFL)\n"
        "s.setitimer(s.ITIMER_REAL, 0.05)\n"
        "time.sleep(10)\n"
        "print('not reached')\n"
    )
    start = time.monotonic()
    status, out = env.python(code)
    assert time.monotonic() - start < 8  # the default SIGALRM ended the sleep
    _signaled(env.os, status, signal.SIGALRM)
    alrm = int(signal.SIGALRM)
    assert out == f"0 10 (0.0, 0.0)\n[{alrm}, {alrm}, {alrm}] True 0.05 True\n"


@inside
def test_interrupted_pipe_read_runs_the_handler_and_restarts(env: Env) -> None:
    code = (
        "import os, signal as s\n"
        "r, w = os.pipe()\n"
        "s.signal(s.SIGALRM, lambda n, f: os.write(w, b'z'))\n"
        "s.setitimer(s.ITIMER_REAL, 0.05)\n"
        "print(os.read(r, 10), os.fdopen(r, 'rb', closefd=False).read(0))\n"
    )
    assert env.python(code) == (0, "b'z' b''\n")


@inside
def test_sigint_raises_keyboard_interrupt_and_the_child_dies_by_it(env: Env) -> None:
    ready = env.path("ready")
    code = f"import time\nopen({ready!r}, 'w').close()\ntime.sleep(30)\n"
    start = time.monotonic()
    pid, out = _spawn_python(env, code)
    _wait_for(env, "ready")
    env.os.kill(pid, signal.SIGINT)
    _signaled(env.os, env.os.waitpid(pid, 0)[1], signal.SIGINT)
    assert time.monotonic() - start < 10
    assert env.read(out) == (
        'Traceback (most recent call last):\n  File "<string>", line 3, in <module>\n'
        "KeyboardInterrupt\n"
    )


@inside
def test_handler_of_the_calling_program_runs_when_a_child_signals_it(penv: Env) -> None:
    """Under ``patch()`` the test body is process 1 of the machine (on the
    host, this process): its handler is the process's, run at a check point."""
    o = penv.os
    got: list[int] = []
    old = signal.signal(signal.SIGUSR1, lambda n, f: got.append(n))
    try:
        pid = o.posix_spawn(
            PY, [PY, "-c", "import os, signal; os.kill(os.getppid(), signal.SIGUSR1)"], o.environ
        )
        _exited(o, o.waitpid(pid, 0)[1], 0)
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            o.kill(o.getpid(), 0)  # a check point
            time.sleep(0.01)
        assert got == [int(signal.SIGUSR1)]
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_machine_handlers_leave_the_hosts_alone(menv: Env) -> None:
    assert menv.machine is not None
    host_before = signal.getsignal(signal.SIGUSR2)

    def handler(n: int, f: Any) -> None:
        pass

    with menv.machine.patch():
        assert signal.signal(signal.SIGUSR2, handler) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGUSR2) is handler
        assert signal.alarm(0) == 0
    assert signal.getsignal(signal.SIGUSR2) is host_before


@inside
def test_cpu_timers_and_host_thread_calls_are_enosys(menv: Env) -> None:
    code = (
        "import signal as s, threading\n"
        "for call in (lambda: s.setitimer(s.ITIMER_VIRTUAL, 1),\n"
        "             lambda: s.getitimer(s.ITIMER_PROF),\n"
        "             lambda: s.pthread_kill(threading.get_ident(), s.SIGUSR1),\n"
        "             lambda: s.sigwait({s.SIGUSR1})):\n"
        "    try:\n"
        "        call()\n"
        "    except OSError as e:\n"
        "        print(e.errno)\n"
    )
    assert menv.python(code) == (0, f"{errno.ENOSYS}\n" * 4)
