"""Parser unit tests: the AST of small programs, and syntax errors worded
and numbered exactly as the host's dash reports them (``sh -n -c``)."""

from __future__ import annotations

import os
import subprocess

import pytest

from osbox.shell.lexer import ShSyntaxError
from osbox.shell.nodes import (
    DQ,
    AndOr,
    Arith,
    Case,
    CmdSub,
    For,
    FuncDef,
    Group,
    If,
    Lit,
    Param,
    Pipeline,
    Quoted,
    Sequence,
    Simple,
    Subshell,
    While,
)
from osbox.shell.parser import parse

HOST_SH = "/bin/sh"
host_dash = pytest.mark.skipif(
    not os.path.exists(HOST_SH) or not os.path.realpath(HOST_SH).endswith("dash"),
    reason="the host's /bin/sh is not dash",
)


def one(src: str) -> object:
    cmds = parse(src)
    assert len(cmds) == 1
    return cmds[0]


def test_simple_words_and_assignments() -> None:
    node = one("A=1 B=$x echo 'a b' \"c $d\" e\\ f")
    assert isinstance(node, Simple)
    assert node.assigns == [("A", [Lit("1")]), ("B", [Param("x")])]
    assert node.words == [
        [Lit("echo")],
        [Quoted("a b")],
        [DQ([Quoted("c "), Param("d")])],
        [Lit("e"), Quoted(" "), Lit("f")],
    ]


def test_param_forms() -> None:
    node = one("echo ${a:-x y} ${#b} ${c##*/} ${d?} $1 ${10} $@")
    assert isinstance(node, Simple)
    assert node.words[1] == [Param("a", "-", [Lit("x y")], True)]
    assert node.words[2] == [Param("b", "len")]
    assert node.words[3] == [Param("c", "##", [Lit("*/")])]
    assert node.words[4] == [Param("d", "?", [])]
    assert node.words[5:] == [[Param("1")], [Param("10")], [Param("@")]]


def test_substitutions() -> None:
    node = one("echo $(a | b) `c` $((1 + $x))")
    assert isinstance(node, Simple)
    sub = node.words[1][0]
    assert isinstance(sub, CmdSub) and isinstance(sub.body, Pipeline)
    bq = node.words[2][0]
    assert isinstance(bq, CmdSub) and isinstance(bq.body, Simple)
    assert node.words[3] == [Arith([Quoted("1 + "), Param("x")])]


def test_compound_commands() -> None:
    src = (
        "if a; then b; elif c; then d; else e; fi\n"
        "while a; do b; done\nuntil a; do b; done\n"
        "for i in 1 2; do :; done\nfor i; do :; done\n"
        "case $x in a|b) :;; (*) ;; esac\n"
        "{ a; b & }\n(a) > f\nf() { :; }\n! a && b || c\n"
    )
    cmds = parse(src)
    kinds = [type(c) for c in cmds]
    assert kinds == [If, While, While, For, For, Case, Group, Subshell, FuncDef, AndOr]
    assert isinstance(cmds[2], While) and cmds[2].until
    assert isinstance(cmds[4], For) and cmds[4].words is None
    case = cmds[5]
    assert isinstance(case, Case) and len(case.items) == 2 and case.items[1][1] is None
    grp = cmds[6]
    assert isinstance(grp, Group) and isinstance(grp.body, Sequence)
    assert grp.body.items[1][1] is True
    sub = cmds[7]
    assert isinstance(sub, Subshell) and sub.redirs[0].op == ">"
    ao = cmds[9]
    assert isinstance(ao, AndOr) and isinstance(ao.first, Pipeline) and ao.first.negate


def test_redirections_and_heredocs() -> None:
    node = one("cat 2>&1 <in >>out 3<>rw <<EOF <<-'X'\nhello $u\nEOF\n\tlit $u\n\tX\n")
    assert isinstance(node, Simple)
    ops = [(r.fd, r.op) for r in node.redirs]
    assert ops == [(2, ">&"), (0, "<"), (1, ">>"), (3, "<>"), (0, "<<"), (0, "<<-")]
    h1 = node.redirs[4].heredoc
    h2 = node.redirs[5].heredoc
    assert h1 is not None and h1.body == [Quoted("hello "), Param("u"), Quoted("\n")]
    assert h2 is not None and h2.quoted and h2.body == [Quoted("lit $u\n")]


def test_keywords_only_in_command_position() -> None:
    node = one("echo if then fi")
    assert isinstance(node, Simple) and len(node.words) == 4


ERRORS = [
    "echo a; fi",
    "echo a\nfi",
    "if true; then echo x",
    "for x in a; echo",
    "for 1 in a; do :; done",
    "while true; echo; done",
    "if true; fi",
    "if; then :; fi",
    "{ echo",
    "}",
    ")",
    ";",
    ";;",
    "echo a ;;",
    "&& echo",
    "echo &&",
    "echo | | cat",
    "echo >",
    "echo > ;",
    "case a in",
    "case a in a) echo",
    "case a b",
    "f()",
    "echo ( a",
    "echo a (b)",
    "! ! true",
    "echo $((",
    "echo $(echo",
    "echo ${",
    "echo ${x:}",
    "if true; then fi",
    "while",
    "f-x() { :; }",
    'echo "abc',
    "echo 'abc",
    "echo `abc",
    "{ }",
    "()",
    "then",
    "done",
    "esac",
    "in",
    "echo a &; echo",
    "\n\n  fi",
    "if true\nthen\n  echo\nfi\nfi",
    "echo $((1 + (2))",
]


@host_dash
@pytest.mark.parametrize("src", ERRORS)
def test_syntax_errors_match_dash(src: str) -> None:
    r = subprocess.run(
        ["sh", "-n", "-c", src],
        executable=HOST_SH,
        capture_output=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
        timeout=10,
    )
    expected = r.stderr.decode()
    assert r.returncode == 2 and expected.startswith("sh: ")
    with pytest.raises(ShSyntaxError) as info:
        parse(src)
    assert f"sh: {info.value.lineno}: {info.value}\n" == expected


@host_dash
@pytest.mark.parametrize(
    "src",
    [
        "echo in do done",
        "f() echo",
        "case x in esac",
        "for x in; do :; done",
        "echo ${1x}",
        "cat <<EOF",
    ],
)
def test_valid_programs(src: str) -> None:
    r = subprocess.run(
        ["sh", "-n", "-c", src],
        executable=HOST_SH,
        capture_output=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
        timeout=10,
    )
    assert r.returncode == 0
    parse(src)
