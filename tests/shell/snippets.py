"""The differential corpus: shell snippets run both by the host's ``/bin/sh``
(dash) with GNU coreutils under ``LC_ALL=C`` and by ``osbox sh``.

Each snippet starts in a fresh copy of the fixture tree of ``difftree.py``
(``a.txt``, ``b.txt``, ``dir/sub/c.txt``...). Snippets print nothing that
depends on absolute paths, the host's name, pids, inode numbers, the current
time or the order a directory is read in (``find``, ``grep -r`` and ``du -a``
output goes through ``sort``).

Note that ``echo``, ``printf``, ``test``/``[``, ``true``, ``false``, ``pwd``
and ``kill`` are dash builtins; ``env NAME`` reaches the GNU program. A pid
that can never be live is 4194305, one above Linux's ``PID_MAX_LIMIT``.

Most snippets are written in ``_block`` texts: a ``## name`` line, then the
script verbatim (a raw string); those that need stdin, extra fixture files,
tabs or an exact one-line form are ``Snippet(...)`` entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from .difftree import Entry

__all__ = ["Snippet", "SNIPPETS", "COMMANDS"]


@dataclass(frozen=True)
class Snippet:
    """One script, its standard input and extra fixture entries."""

    name: str
    script: str
    stdin: bytes = b""
    setup: tuple[Entry, ...] = ()


# Every command the corpus must exercise at least once.
COMMANDS: tuple[str, ...] = tuple(
    (
        "ls cat echo printf mkdir rmdir rm cp mv ln touch chmod chown stat head tail wc sort "
        "uniq grep find sed tr cut tee xargs basename dirname readlink realpath du df seq diff "
        "pwd env printenv true false test [ date sleep id whoami hostname uname which ps kill "
        "tar gzip"
    ).split()
)

S = Snippet


def _block(text: str) -> list[Snippet]:
    """Snippets written as ``## name`` lines, each followed by its script."""
    out = []
    for part in ("\n" + text).split("\n## ")[1:]:
        name, _, script = part.partition("\n")
        out.append(Snippet(name.strip(), script.rstrip("\n")))
    return out


def L(*lines: str) -> str:
    """A multi-line script (line numbers then show in dash's messages)."""
    return "\n".join(lines)


_QUOTING = _block(
    r"""
## quote_single_double
x=world; echo 'a $x' "b $x" c\ d "e\"f" 'g"h'
## quote_backslash_newline
echo "one \
two" one\
two; echo "\$x \\ \a"
## quote_empty_args
set -- "" a ""; echo $#; for a in "$@"; do echo "<$a>"; done
## quote_ifs_split
x="a  b   c"; set -- $x; echo $#; set -- "$x"; echo $#; IFS=:; y=p:q::r; set -- $y; echo $# "$3"
## echo_builtin_escapes
echo 'a\tb\nc'; echo -n no; echo; echo -e x; echo 'q\cdropped'
## dollar_at_star
set -- "a b" c; for i in "$@"; do echo "[$i]"; done; for i in "$*"; do echo "[$i]"; done; IFS=,
echo "$*"
"""
)

_PARAMS = _block(
    r"""
## param_default_assign
unset u; e=; echo "${u:-d1} ${e:-d2} ${e-d3} ${u=set}"; echo "$u ${v:=w} $v"
## param_alt_len
x=hello; e=; echo "${x:+alt} [${e:+alt}] [${e+alt}] ${#x} ${#e}"
## param_trim
p=dir/sub/file.tar.gz; echo ${p#*/} ${p##*/} ${p%.*} ${p%%.*} ${p#nomatch}
## param_trim_quoted_pattern
x="a*b*c"; echo "${x#"a*"}" "${x%\*c}" ${x##*\*}
## param_error_unset
echo start; echo ${nope?is missing}; echo after
## param_special
set -- x y z; echo $# $1 ${3} "$@"; shift; echo $# $1; shift 2; echo $#; f() { echo $# $1; }
f a b
## param_positional_10
set -- 1 2 3 4 5 6 7 8 9 ten eleven; echo $10 ${10} ${11}
## param_unset_u
set -u; x=1; echo $x; echo ${y:-ok}; echo $y; echo not reached
"""
)

_ARITH = _block(
    r"""
## arith_basic
echo $((1+2*3)) $(( (1+2)*3 )) $((7/2)) $((7%3)) $((-7/2)) $((1<<4)) $((0x1f)) $((010))
## arith_vars
x=5; y=3; echo $((x+y)) $((x*=2)) $x $((x>y ? x : y)) $((!0)) $((~0)) $((x==10 && y<4))
## arith_incr_loop
i=0; s=0; while [ $i -lt 10 ]; do i=$((i+1)); s=$((s+i)); done; echo $s
## arith_div_zero
echo before; echo $((1/0)); echo after
"""
)

_SUBST = _block(
    r"""
## cmdsub_forms
a=$(echo one); b=`echo two`; echo "$a $b $(echo $(echo nested))"; echo "$(printf "x\n\n\n")|"
## cmdsub_status
x=$(false); echo $?; x=$(exit 7); echo $?; echo "$(echo hi; exit 3)" $?
## cmdsub_backtick_escape
echo `echo \`echo inner\``; echo "`echo 'q'`"
"""
)

_GLOB = _block(
    r"""
## glob_star
echo *.txt; echo dir/*; echo */*.txt
## glob_class_question
echo [ab].txt; echo ?.txt; echo [!a-m]*.txt; echo no*match
## glob_hidden_quoted
echo .h*; echo "*.txt"; x="*.sh"; echo $x; set -f; echo $x
## glob_in_for_case
for f in dir/sub/*; do case $f in *c.txt) echo "c: $f";; *) echo "other: $f";; esac; done
"""
)

_CONTROL = _block(
    r"""
## pipeline_status
true | false; echo $?; false | true; echo $?; ! true; echo $?; ! false | false; echo $?
## and_or_list
true && echo a || echo b; false && echo c || echo d; false || false || echo e; true; echo $?
## if_elif_else
for n in 1 2 3; do if [ $n = 1 ]; then echo one; elif [ $n = 2 ]; then echo two; else echo many
fi; done; if false; then :; fi; echo $?
## for_loop_lists
for i in a b c; do printf "%s," $i; done; echo; for i; do echo $i; done; set -- p q; for i
do echo $i; done
## while_until_break
i=0; while true; do i=$((i+1)); [ $i -eq 3 ] && continue; [ $i -gt 5 ] && break; echo $i; done
until [ $i -le 0 ]; do i=$((i-2)); done; echo $i
## nested_break_continue
for a in 1 2 3; do for b in x y z; do [ $b = y ] && continue 2; [ $a = 3 ] && break 2
echo $a$b; done; done; echo end
## case_patterns
for w in apple Banana 12 x.c ""; do case $w in a*|b*) echo "ab $w";; [A-Z]*) echo "upper $w";;
[0-9][0-9]) echo num;; *.[ch]) echo src;; "") echo empty;; esac; done
## read_ifs_heredoc
IFS=: read -r u p id rest <<EOF
root:x:0:0:root:/root
EOF
echo "$u|$id|$rest"
## loop_exit_status
for i in; do :; done; echo $?; while false; do :; done; echo $?; (exit 4); echo $?
"""
)
_CONTROL += [
    S(
        "while_read_stdin",
        'n=0; while read -r a b; do n=$((n+1)); echo "$n:$b:$a"; done; echo total $n',
        b"x 1\ny 2 extra\nlast",
    ),
]

_REDIR = _block(
    r"""
## redir_out_append
echo one > f; echo two >> f; cat f; echo three >f; cat f; : > f; wc -c < f
## redir_stderr
ls nope 2>/dev/null; echo $?; ls nope 2>&1 | tr a-z A-Z; ls nope a.txt 2>err >out; cat out err
## redir_2to1_order
{ echo out; echo err >&2; } 2>&1 >/dev/null | sed 's/^/piped: /'
## redir_fd_exec
exec 3>f3; echo via3 >&3; exec 3>&-; cat f3; exec 4<a.txt; read -r l <&4; echo $l
## redir_missing_file
cat < nope; echo $?; echo never > nodir/x; echo $?
## heredoc_expand
x=val
cat <<EOF
x is $x
sum $((1+1)) $(echo sub)
\$x literal
EOF
cat <<'EOF'
raw $x `echo no`
EOF
## heredoc_pipe
tr a-z A-Z <<EOF | sed 's/L/_/g'
hello
world
EOF
## redir_noclobber_dup
set -C; echo a > a.txt; echo $?; echo b >| a.txt; cat a.txt; echo x 1>&2 2>/dev/null
"""
)
_REDIR += [
    S("heredoc_strip_tabs", "cat <<-EOF\n\tindented\n\t\ttwice\n\tEOF\necho done"),
]

_GROUPS = _block(
    r"""
## subshell_isolation
x=1; (x=2; cd dir; echo $x; pwd | sed 's|.*/||'); echo $x; pwd | sed 's|.*/||'
## brace_group_redirect
{ echo a; echo b; } > g; cat g; { x=in; }; echo $x; { false; }; echo $?
## subshell_exit
(exit 3); echo $?; (echo in; exit 0) && echo ok; (false) || echo failed
"""
)

_FUNCS = _block(
    r"""
## function_args_return
f() { echo "f:$#:$1"; return $(($# + 1)); }; f a b; echo $?; g() { f "$@" z; }; g x; echo $?
## function_local
x=global; f() { local x=inner y; x=changed; y=set; echo $x $y; }; f; echo $x ${y:-unset}
## function_recursion
fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(($1 - 1))) )); fi; }; fact 6
## local_outside_function
local x=1; echo not reached
"""
)

_SETOPTS = _block(
    r"""
## set_e_basic
set -e; echo a; false; echo b
## set_e_exemptions
set -e; false || echo or; if false; then :; fi; ! true; false && true; echo survived; (false)
echo no
## set_x_trace
set -x; x=1; echo "a b" $x; f() { echo in; }; f; set +x; echo quiet
## set_u_status
set -u; echo ${#}; unset z; : ${z}
"""
)

_JOBS = _block(
    r"""
## background_wait
sleep 0.1 & p=$!; wait $p; echo $?; (exit 5) & wait $!; echo $?; echo bg & wait; echo done
## background_kill
sleep 5 & kill $!; wait $!; echo $?
## trap_exit
trap 'echo bye $?' EXIT; echo hi; exit 4
## trap_exit_subshell
(trap 'echo sub-exit' EXIT; echo in); trap 'echo main-exit' EXIT; false
"""
)

_ERRORS = _block(
    r"""
## err_not_found
nope; echo $?; nope arg 2>/dev/null || echo status $?
## err_permission_denied
./noexec.sh; echo $?; ./run.sh arg; echo $?; ./empty; echo $?
## err_cd_missing
cd nope; echo $?; cd a.txt; echo $?
## err_cd_ok
cd dir/sub && ls && cd ../.. && ls -d dir; cd; pwd | sed 's|.*/||'
## exit_status_values
sh -c 'exit 300'; echo $?; sh -c 'kill -9 $$'; echo $?; exit 2
"""
)
_ERRORS += [
    S("err_syntax_if", "echo never; if true; then echo x"),
    S("err_syntax_paren", "echo a; foo )"),
    S("err_syntax_done", "for x in a; do echo $x"),
]

_FILES = _block(
    r"""
## ls_basic
ls; ls -a; ls dir; ls -1 dir/sub
## ls_long_files
ls -l a.txt b.txt ro.txt run.sh; ls -l link
## ls_sort_flags
ls -t *.txt; ls -r *.txt; ls -S a.txt lines.txt nums.txt; ls -d dir empty
## ls_recursive_classify
ls -R dir; ls -F; ls -p dir
## ls_missing
ls nope a.txt; echo $?
## cat_forms
cat a.txt b.txt; cat -n b.txt; cat - a.txt < b.txt; cat nope; echo $?
## printf_builtin
printf '%s-%s\n' a b c; printf '%5.2f|%-4s|%x|%o|%c|%%\n' 3.14159 ab 255 8 xyz
printf '%d\n' abc; echo $?
## printf_gnu
env printf '%s=%d\n' a 1 b 2; env printf '%q\n' 'a b'; env printf '%d\n' 1x; echo $?
## mkdir_rmdir
mkdir -p x/y/z; ls -R x; mkdir x; echo $?; rmdir x; echo $?; rmdir -p x/y/z; ls -d x; echo $?
## mkdir_mode_verbose
mkdir -m 700 m1; stat -c '%a %F' m1; mkdir -v m2; mkdir -pv p/q
## rmdir_errors
rmdir dir; echo $?; rmdir nope; echo $?; rmdir a.txt; echo $?; rmdir empty && echo gone
## rm_forms
rm a.txt; ls a.txt; rm nope; echo $?; rm -f nope; echo $?; rm dir; echo $?; rm -r dir; ls
## rm_interactive_verbose
rm -v b.txt; rm -rf empty; ls -d empty; rm -v nope
## cp_forms
cp a.txt x; cat x; cp a.txt b.txt dir; ls dir; cp dir d2; echo $?; cp -r dir d2; ls d2 d2/sub
## cp_errors
cp nope x; echo $?; cp a.txt; echo $?; cp a.txt nodir/x; echo $?
## cp_preserve
cp -p a.txt x; stat -c '%a %Y' a.txt x; cp ro.txt y; stat -c '%a' y
## mv_forms
mv a.txt z.txt; ls *.txt; mv z.txt b.txt dir; ls dir; mv nope x; echo $?; mv dir/sub dir/sub2
ls dir
## ln_forms
ln a.txt h; stat -c '%h %n' a.txt h; ln -s b.txt s; readlink s; cat s; ln a.txt b.txt; echo $?
ln -sf a.txt s; readlink s
## touch_forms
touch new; ls new; touch -d @1000000000 new; stat -c '%Y' new; touch -r a.txt new
stat -c %Y a.txt new; touch -c nope; ls nope
## chmod_forms
chmod 755 a.txt; stat -c %a a.txt; chmod u-x,g+w,o= a.txt; stat -c '%a %A' a.txt
chmod -R go-rx dir; stat -c '%a %n' dir dir/sub dir/d.log
## chmod_errors
chmod 999 a.txt; echo $?; chmod 644 nope; echo $?; chmod; echo $?
## chown_forms
chown root:root a.txt; stat -c '%U:%G %u:%g' a.txt; chown 0 b.txt; chown :0 b.txt
stat -c %U b.txt; chown -R root dir; echo $?
## chown_errors
chown nosuchuser a.txt; echo $?; chown root nope; echo $?; chown root:nosuchgroup a.txt; echo $?
## stat_formats
stat -c '%n|%s|%a|%A|%F|%U|%G|%h|%Y' a.txt link; stat -c '%n|%a|%A|%F|%h|%Y' dir empty
stat -c %y a.txt; stat -L -c %F link
## stat_missing
stat nope; echo $?; stat -c %s a.txt nope; echo $?
## readlink_realpath
readlink link; readlink a.txt; echo $?; readlink -f link | sed "s|^$PWD/||"
p=$(realpath dir/sub/../../a.txt); echo "${p#"$PWD"/}"; realpath nope | sed "s|^$PWD/||"
realpath -e nope; echo $?
## basename_dirname
basename /a/b/c.txt; basename /a/b/c.txt .txt; basename -s .gz x.tar.gz; basename a/b/
dirname /a/b/c; dirname c; dirname /; dirname a/b/; basename; echo $?
## du_df
du a.txt; du -b a.txt b.txt; du -a dir | wc -l; du nope; echo $?; df . >/dev/null; echo $?
df nope; echo $?
"""
)
_FILES += [
    S("cat_stdin_dash", "cat; cat -", b"from stdin\n"),
]

_TEXT = _block(
    r"""
## head_tail
head -n 2 a.txt; head -c 5 b.txt; echo; tail -n 2 a.txt; tail -n +2 nums.txt; tail -c 4 b.txt
## head_tail_multi_missing
head -n 1 a.txt b.txt; tail -n1 a.txt nope; echo $?; head nope; echo $?
## wc_forms
wc a.txt; wc -l a.txt b.txt; wc -w < words.txt; wc -c lines.txt; echo abc | wc -m; wc nope
echo $?
## sort_forms
sort lines.txt; sort -r a.txt; sort -n nums.txt; sort -u lines.txt; sort -k2,2n -k1,1 lines.txt
## sort_sep_check
sort -t: -k3,3n users.txt; sort -c a.txt; echo $?; sort -c lines.txt; echo $?; sort nope
echo $?
## uniq_forms
sort lines.txt | uniq; sort lines.txt | uniq -c; sort lines.txt | uniq -d
sort lines.txt | uniq -u; uniq -i words.txt
## grep_basic
grep an a.txt; grep -n an a.txt b.txt; grep -c an a.txt; grep -v an a.txt
grep -i hello words.txt
## grep_extended
grep -E 'ap+le|^k' lines.txt; grep -E '[0-9]{2}' lines.txt; grep -o 'a[a-z]' a.txt
grep -w pear lines.txt; grep -x HELLO words.txt
## grep_recursive
grep -r line dir | sort; grep -rl e dir | sort; grep -rn o . | sort | head -n 5
grep -l banana *.txt
## grep_status
grep zzz a.txt; echo $?; grep apple nope; echo $?; grep -s apple nope; echo $?
grep -q apple a.txt; echo $?; grep -E 'a(' a.txt; echo $?
## find_name_type
find . -name '*.txt' | sort; find . -type d | sort; find dir -type f -name 'c*'; find . -type l
## find_path_maxdepth
find . -maxdepth 1 -type f | sort; find . -path './dir/*' -name '*.txt' | sort
find dir -mindepth 2 | sort
## find_exec_delete
find dir -name '*.txt' -exec wc -c {} \; | sort; find . -name '*.log' -delete; ls dir
find dir -type f -exec echo found {} + | wc -w
## find_newer_errors
find . -newer nums.txt -name '*.txt' | sort; find nope; echo $?; find . -badopt; echo $?
## sed_basic
sed 's/an/AN/' a.txt; sed 's/an/AN/g' a.txt; sed -n 2p a.txt; sed 1d b.txt
sed -n '/err/p' dir/d.log; sed '$d' a.txt
## sed_inplace_multi
sed -i 's/apple/APPLE/' a.txt; cat a.txt; sed -e 's/a/1/' -e 's/b/2/' b.txt
sed -n '2,3p;3q' lines.txt; sed 's|/|_|g;y/abc/xyz/' users.txt
## sed_errors
sed 's/a/' a.txt; echo $?; sed p nope; echo $?; sed -n 's/\(b\)\(a\)/\2\1/p' a.txt
## tr_forms
tr a-z A-Z < a.txt; echo hello | tr -d l; echo 'a   b  c' | tr -s ' '; echo abc | tr abc xyz
echo 'x1y2' | tr -cd '0-9'; echo
## cut_forms
cut -d: -f1,3 users.txt; cut -c1-3 a.txt; cut -d' ' -f2 lines.txt | head -n 2; cut -f1 nope
echo $?; cut a.txt; echo $?
## tee_forms
echo hi | tee t1; cat t1; echo more | tee -a t1 t2 >/dev/null; cat t1 t2; echo x | tee nodir/f
echo $?
## xargs_forms
printf 'a\nb c\n' | xargs echo; printf '1 2 3 4\n' | xargs -n 2 echo got
find dir -name '*.txt' | sort | xargs wc -l; echo x | xargs nope; echo $?
## xargs_replace
printf 'a.txt\nb.txt\n' | xargs -I{} sh -c 'echo {}: $(head -n 1 {})'
printf '' | xargs echo empty
## seq_forms
seq 3; seq 2 4; seq 0 5 20; seq -s, 5; seq -w 8 10; seq 3 1; seq 1 0.5 2; seq x; echo $?
## diff_forms
diff a.txt b.txt; echo $?; diff a.txt a.txt; echo $?; diff -u a.txt b.txt; diff nope a.txt
echo $?
## diff_dirs
cp -r dir d2; echo extra >> d2/sub/c.txt; diff -r dir d2; echo $?; diff -q a.txt b.txt
"""
)
_TEXT += [
    S("head_tail_stdin", "head -n 3; seq 10 | tail -n 3; seq 5 | head -n -2", b"1\n2\n3\n4\n5\n"),
    S("sort_stdin_flags", "sort -f; echo --; sort -rn nums.txt | head -n 2", b"b\nB\na\nC\nc\n"),
    S("grep_stdin", "grep -n -i B; echo $?", b"abc\nBcd\nxyz\nbb\n"),
]

_SYSTEM = _block(
    r"""
## pwd_forms
pwd | sed 's|.*/||'; cd dir/sub; pwd | sed 's|.*/||'; env pwd | sed 's|.*/||'; cd ..
basename "$PWD"
## env_forms
env -i A=1 B=2 env; env -i X=y sh -c 'echo $X'; env | grep -c '^LC_ALL=C$'; env nope; echo $?
## env_unset_assign
FOO=bar env | grep ^FOO=; env -u TZ printenv TZ; echo $?; X=1 sh -c 'echo $X'; echo ${X:-unset}
## printenv_forms
printenv LC_ALL TZ; printenv NOPE; echo $?; export NEW=v; printenv NEW
## true_false
true; echo $?; false; echo $?; env true; echo $?; env false; echo $?; true extra args; echo $?
## test_files
test -f a.txt && echo f; test -d dir && echo d; [ -e nope ] || echo ne; [ -L link ] && echo l
[ -x run.sh ] && echo x; [ -s dir/sub/e.txt ] || echo empty; [ -r ro.txt ] && echo r
## test_strings_numbers
[ abc = abc ] && echo eq; [ a != b ] && echo ne; [ -z "" ] && echo z; [ -n x ] && echo n
[ 2 -gt 10 ]; echo $?; [ 3 -le 3 -a 1 -eq 1 ] && echo and; [ ! -f dir ] && echo not
[ a.txt -nt b.txt ]; echo $?
## test_errors
[ 1 -lt ]; echo $?; [ abc -eq 1 ]; echo $?; [ a = b; echo $?; test; echo $?; env test 1 -gt x
echo $?
## date_fixed
date -d @0 -u; date -u -d @1000000000 +'%Y-%m-%d %H:%M:%S %a %b %j %s'; date -d @86399 +%T
date -d nonsense; echo $?
## date_now
date +%Y | wc -c; date -u +%Z; date >/dev/null; echo $?
## sleep_forms
sleep 0; echo $?; sleep 0.05 && echo slept; sleep x; echo $?; sleep; echo $?
## id_whoami
id; id -u; id -g; id -un; id -G; whoami; id nosuchuser; echo $?
## hostname_uname
hostname | wc -l; uname; uname -s; uname -m; uname -n | wc -w; uname -x; echo $?
## which_forms
which ls cat; which nope; echo $?; which sh >/dev/null && echo found
## ps_kill
ps >/dev/null && echo ok; kill -0 $$; echo $?; kill 4194305; echo $?; kill -9 abc; echo $?
## kill_signals
sleep 5 & p=$!; kill -TERM $p; wait $p; echo $?; sleep 5 & kill -9 $!; wait $!; echo $?
kill -l 15
## tar_create_list
tar cf x.tar a.txt b.txt dir/sub/c.txt; tar tf x.tar; tar tvf x.tar; mkdir out
tar xf x.tar -C out; cat out/dir/sub/c.txt
## tar_gzip_errors
tar czf x.tgz a.txt; tar xzf x.tgz -O; tar tf nope.tar; echo $?
## gzip_forms
gzip -k a.txt; ls a.txt*; gzip -dc a.txt.gz; gzip b.txt; ls b*; gzip -d b.txt.gz; cat b.txt
gzip -c a.txt | gzip -d | wc -l; gzip nope; echo $?
"""
)

_PIPES = _block(
    r"""
## pipeline_long
cat lines.txt | sort | uniq -c | sort -rn | head -n 2
## pipeline_wordfreq
tr -s ' ' '\n' < words.txt | tr A-Z a-z | sort | uniq -c | sort -k1,1nr -k2
## script_file_exec
sh run.sh hi; echo $?; sh nope.sh; echo $?; . ./run.sh; echo unreachable
## eval_and_dot
eval 'x=1; echo $x'; cmd='echo evaluated'; eval $cmd; echo 'y=2' > inc.sh; . ./inc.sh; echo $y
## export_subshell_env
export A=1; B=2; sh -c 'echo ${A:-no} ${B:-no}'; unset A; sh -c 'echo ${A:-gone}'
"""
)
_PIPES += [
    S("stdin_passthrough", 'read -r first; echo "first=$first"; cat', b"line1\nline2\nline3\n"),
]

_MULTILINE = _block(
    r"""
## multi_line_numbers
echo one
nope
echo three
[ x -eq 1 ]
echo $?
## multi_syntax_late
echo first
if true; then
echo x
fi fi
## multi_param_error
x=1
echo ${x:?}
echo ${y:?}
echo never
## multi_function_comments
# a comment line
greet() {  # trailing comment
    printf "hello %s\n" "$1"
    return 0
}
for who in a 'b c'; do
    greet "$who"
done
## multi_pipe_into_while
cat lines.txt | while read -r name n; do
    total=$((${total:-0} + n))
    echo "$name $total"
done
echo "after: ${total:-unset}"
## multi_heredoc_in_loop
for n in 1 2; do
    cat <<EOF
item $n
EOF
done | sort -r
## multi_case_in_function
kind() {
    case "$1" in
        *.txt) echo text ;;
        *.sh|*.bash) echo script ;;
        *) if [ -d "$1" ]; then echo dir; else echo other; fi ;;
    esac
}
for f in *; do printf '%s: ' "$f"; kind "$f"; done
"""
)

_MORE = _block(
    r"""
## set_e_function
set -e; f() { false; echo in-f; }; f || echo f-failed; f; echo unreachable
## trap_exit_set_e
trap 'echo cleanup $?' EXIT; set -e; echo working; false; echo never
## wait_statuses
(exit 2) & a=$!; (exit 3) & b=$!; wait $b; echo $?; wait $a; echo $?
## arith_syntax_error
echo $((1+)); echo never
## return_exit_values
f() { return 300; }; f; echo $?; (exit 256); echo $?; exit 3 | true; echo $?
## exec_replaces_shell
exec echo replaced; echo never
## glob_nomatch_arg
ls *.nomatch; echo $?; echo dir/*.none
## cd_oldpwd
cd dir; cd - >/dev/null; basename "$PWD"; cd dir/sub; cd ../..; basename "$PWD"
## printf_more
printf '%b\n' 'a\tb'; printf '[%5s][%-5d][%05d]\n' x 42 7; printf '%s\n'
## redir_to_directory
echo x > dir; echo $?; cat dir; echo $?; ls > empty; echo $?
## root_ignores_modes
chmod 000 a.txt; cat a.txt; echo more >> ro.txt; cat ro.txt
## large_pipeline
seq 20000 | wc -c; seq 3000 > big; cat big big | sort -n | uniq -d | wc -l
## usage_errors_files
touch nodir/x; echo $?
mkdir nodir/x; echo $?
mv a.txt; echo $?
ln; echo $?
rm; echo $?
stat; echo $?
readlink; echo $?
realpath; echo $?
dirname; echo $?
ls -z; echo $?
cat -z; echo $?
## usage_errors_text
tr a; echo $?
uniq nope; echo $?
head -n x a.txt; echo $?
tail -n x a.txt; echo $?
sort -k 0 a.txt; echo $?
cut -f 0 a.txt; echo $?
xargs -n 0 echo </dev/null; echo $?
grep; echo $?
find . -maxdepth x; echo $?
tee --bogus; echo $?
whoami extra; echo $?
which; echo $?
date -d @x; echo $?
"""
)
_MORE += [
    S("read_backslashes", 'read a b; echo "$a|$b"; read -r c; echo "$c"', b"x\\ y z\\\\w\nr\\aw\n"),
    S(
        "path_search_script",
        "PATH=$PWD/bin:$PATH; tool a b; echo $?; sh bin/tool x; which tool | sed 's|.*/||'",
        setup=(
            Entry("bin", None, 0o755),
            Entry("bin/tool", b'#!/bin/sh\necho "tool $# $1"\nexit 5\n', 0o755),
        ),
    ),
    S(
        "setup_data_processing",
        L(
            "cut -d, -f2 data.csv | sort | uniq -c",
            "grep -c , data.csv",
            "sort -t, -k3,3n data.csv | head -n 2",
        ),
        setup=(Entry("data.csv", b"1,red,30\n2,blue,4\n3,red,100\n4,green,4\n"),),
    ),
]

SNIPPETS: list[Snippet] = (
    _QUOTING
    + _PARAMS
    + _ARITH
    + _SUBST
    + _GLOB
    + _CONTROL
    + _REDIR
    + _GROUPS
    + _FUNCS
    + _SETOPTS
    + _JOBS
    + _ERRORS
    + _FILES
    + _TEXT
    + _SYSTEM
    + _PIPES
    + _MULTILINE
    + _MORE
)
