#!/usr/bin/env bash
# check-layers.sh [BUILD] - keeps the debug adapter (adapter/) layered.
#
# The adapter's sources live in folders under adapter/, one layer per folder;
# the file adapter/LAYERS (or $LAYERS) lists the folders from the lowest layer
# to the highest, one a line ('#' starts a comment).  A nested folder such as
# dap/handler is a layer of its own; the files directly in dap/ are layer dap.
# A file may use its own layer and the layers below it, never one above.
#
# Run from the repository top, after building (make): the calls are read from
# the objects BUILD/adapter/<folder>/<name>.o with nm.  BUILD is the first
# argument, else $OSDBG_BUILD, else build.  It fails (exit 1, one FAIL line per
# violation) when
#   1. a source (.c or .h) includes an adapter header of a higher layer.  An
#      include is resolved as gcc does with -Iadapter: "x" first beside the
#      including file, then under adapter/; <x> under adapter/.  Headers found
#      nowhere under adapter/ (<jansson.h>, "osdbg/sidestub_proto.h") are not
#      the adapter's and are ignored;
#   2. an object uses a function or variable (nm: undefined there, defined
#      global in another adapter object) of a higher layer;
#   3. there is a cycle between adapter files or between folders.  The file
#      graph has an edge A -> B when A's object uses a symbol defined in B's
#      object, or when A.c or A.h includes B.h (a module is its .c and its .h;
#      a header without a .c is a module of its own), except when B.h declares
#      one of A.c's own global symbols (a header shared by two .c files).
#      The folder graph has the edges between the folders of those files.
#      Each cycle is printed with the reason of each of its edges;
#   4. a source is in a folder that the layer list does not name (or directly
#      in adapter/), a .c has no object, or its object is older than the .c or
#      a header it was built from (build first), or the layer list is invalid:
#      nothing goes unchecked silently.
# On success it prints one summary line.  Its last line is always
# "N passed, M failed" (scripts/run-suite.sh): every file's folder, every .c's
# object, every include and every use between two layered files is a check,
# and so is each graph's acyclicity (a failed one counts once per cycle).
# A broken invocation (no layer list, no nm, ...) exits 2.
set -uo pipefail
me=check-layers

usage() {
    cat <<'EOF'
usage: scripts/check-layers.sh [BUILD]
Checks that the adapter's layers (folders of adapter/, listed lowest first in
$LAYERS, default adapter/LAYERS) only use the layers below them, and that no
files or folders depend on each other in a cycle.  Reads the objects under
BUILD/adapter (BUILD: argument, else $OSDBG_BUILD, else build); build first.
Run from the repository top.
EOF
}

case ${1:-} in
-h | --help) usage; exit 0 ;;
-*) echo "$me: unknown option $1" >&2; usage >&2; exit 2 ;;
esac
[ $# -le 1 ] || { usage >&2; exit 2; }
build=${1:-${OSDBG_BUILD:-build}}
build=${build%/}
case $build in *[[:space:]:]*) echo "$me: a build folder with blanks or colons is not supported: $build" >&2; exit 2 ;; esac
layers=${LAYERS:-adapter/LAYERS}
top=adapter

die() {
    echo "$me: error: $*" >&2
    echo "0 passed, 1 failed"
    exit 2
}

[ -d "$top" ] || die "no $top/ folder in $(pwd); run from the repository top"
{ [ -f "$layers" ] && [ -r "$layers" ]; } || die "no layer list $layers (one adapter/ folder a line, lowest first; set LAYERS=FILE to use another)"
command -v nm >/dev/null || die "nm not found (install binutils)"

# Every file under adapter/ (an include may name any of them); the sources
# are the .c and .h files.
mapfile -t files < <(find "$top" -type f | LC_ALL=C sort)
bad_names=$(printf '%s\n' "${files[@]}" | grep -E '[[:space:]:]' || true)
[ -z "$bad_names" ] || die "file names with blanks or colons are not supported: $(head -1 <<<"$bad_names")"
sources=() csrcs=()
for f in "${files[@]}"; do
    case $f in
    *.c) sources+=("$f") csrcs+=("$f") ;;
    *.h) sources+=("$f") ;;
    esac
done

# deps D...: "D DEP" for each prerequisite of the first rule of each make
# dependency file D (gcc -MMD), read in one go.
deps() {
    awk 'FNR == 1 { inrule = 1; first = 1 }
    !inrule { next }
    {
        l = $0; cont = sub(/\\$/, "", l)
        if (first) { sub(/^[^:]*:/, "", l); first = 0 }
        n = split(l, a, /[ \t]+/)
        for (i = 1; i <= n; i++) if (a[i] != "") print FILENAME " " a[i]
        if (!cont) inrule = 0
    }' "$@"
}

# Each .c's object: "O SRC OBJ ok|missing|stale [WHY]".  An object is stale
# when it is older than its .c or than anything its .d says it was built from
# (or that is gone): make would build it again.
objects=() orecs=() dfiles=()
declare -A src_of=() why=()
for c in "${csrcs[@]}"; do
    rel=${c#"$top"/}
    o=$build/$top/${rel%.c}.o
    if [ ! -f "$o" ]; then
        orecs+=("O $c $o missing")
        continue
    fi
    objects+=("$o")
    src_of[$o]=$c
    if [ "$c" -nt "$o" ]; then
        why[$o]="is older than $c"
    elif [ -f "${o%.o}.d" ]; then
        dfiles+=("${o%.o}.d")
    fi
done
if [ ${#dfiles[@]} -gt 0 ]; then
    while read -r d dep; do
        o=${d%.d}.o
        [ -z "${why[$o]:-}" ] || continue
        if [ ! -e "$dep" ]; then
            why[$o]="was built from $dep, which is gone"
        elif [ "$dep" -nt "$o" ]; then
            why[$o]="is older than $dep"
        fi
    done < <(deps "${dfiles[@]}")
fi
for o in "${objects[@]}"; do
    if [ -n "${why[$o]:-}" ]; then
        orecs+=("O ${src_of[$o]} $o stale ${why[$o]}")
    else
        orecs+=("O ${src_of[$o]} $o ok")
    fi
done

# The identifiers each adapter header names outside comments and strings:
# "H HEADER NAME".  A .c whose own global symbol a header declares is
# including its own header (profile/profile.h declares profile_check.c's
# profile_check_keys): that include is no edge of the file graph.
header_names() {
    awk 'FNR == 1 { incom = 0; split("", seen) }
    {
        l = $0; out = ""
        while (l != "") {
            if (incom) {
                p = index(l, "*/"); if (!p) { l = ""; break }
                l = substr(l, p + 2); incom = 0; continue
            }
            p = index(l, "/*"); q = index(l, "//")
            if (q && (!p || q < p)) { out = out substr(l, 1, q - 1); l = ""; break }
            if (!p) { out = out l; l = ""; break }
            out = out substr(l, 1, p - 1) " "; l = substr(l, p + 2); incom = 1
        }
        gsub(/"([^"\\]|\\.)*"/, " ", out)
        while (match(out, /[A-Za-z_][A-Za-z0-9_]*/)) {
            w = substr(out, RSTART, RLENGTH); out = substr(out, RSTART + RLENGTH)
            if (!(w in seen)) { seen[w] = 1; print "H " FILENAME " " w }
        }
    }' "$@"
}

nmout=
if [ ${#objects[@]} -gt 0 ]; then
    nmout=$(nm -A -P "${objects[@]}") || die "nm failed on the objects under $build/$top"
fi

# The records for the checker: F file, O object, I include (grep -Hn line),
# N symbol (nm -A -P line), H header name.
{
    [ ${#files[@]} -eq 0 ] || printf 'F %s\n' "${files[@]}"
    [ ${#orecs[@]} -eq 0 ] || printf '%s\n' "${orecs[@]}"
    if [ ${#sources[@]} -gt 0 ]; then
        grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<][^">]+[">]' "${sources[@]}" | sed 's/^/I /'
    fi
    [ -z "$nmout" ] || printf '%s\n' "$nmout" | sed 's/^/N /'
    hdrs=()
    for f in "${sources[@]}"; do case $f in *.h) hdrs+=("$f") ;; esac; done
    [ ${#hdrs[@]} -eq 0 ] || header_names "${hdrs[@]}"
} | awk -v LAYERS_FILE="$layers" -v TOP="$top" -v ME="$me" '
function fail(cat, msg) {
    print "FAIL " cat ": " msg
    nfail++
    if (!(cat in ncat)) cats[++ncats] = cat
    ncat[cat]++
}
# Whether the header h declares (names) a global symbol that the .c file c
# defines: then h is the header of c too.
function own_header(c, h,    k) {
    if (c !~ /\.c$/) return 0
    for (k = 1; k <= nds[c]; k++) if ((h, dsym[c, k]) in hname) return 1
    return 0
}
function plural(n, word) { n += 0; return n " " word (n == 1 ? "" : "s") }
function folder_of(path,    rel) {
    rel = substr(path, length(TOP) + 2)
    if (rel !~ /\//) return ""
    sub(/\/[^\/]*$/, "", rel)
    return rel
}
function module_of(path,    rel) {
    rel = substr(path, length(TOP) + 2)
    sub(/\.[^.\/]*$/, "", rel)
    return rel
}
function layer_of(path,    f) {
    f = folder_of(path)
    return (f in lidx) ? lidx[f] : 0
}
function lname_of(path) { return folder_of(path) }
# The module as a file name: its .c, else the first of its files.
function disp(mod) {
    if ((TOP "/" mod ".c") in exists) return TOP "/" mod ".c"
    return modfile[mod]
}
function dispfolder(f) { return f == "" ? TOP "/" : f }
# Normalises a relative path: drops "." and "x/.." parts.
function normpath(p,    n, a, i, out, k, j, r) {
    n = split(p, a, "/")
    k = 0
    for (i = 1; i <= n; i++) {
        if (a[i] == "" || a[i] == ".") continue
        if (a[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
        out[++k] = a[i]
    }
    r = ""
    for (j = 1; j <= k; j++) r = r (j > 1 ? "/" : "") out[j]
    return r
}
# The graph G: nodes G_node[1..G_n], successors G_succ[a, 1..G_nsucc[a]],
# one reason per edge in G_why[a, b], said by the file G_from[a, b] ("" if the
# reason names it).
function gclear() {
    split("", G_node); split("", G_has); split("", G_nsucc); split("", G_succ); split("", G_why); split("", G_from)
    G_n = 0
}
function gnode(a) {
    if (!(a in G_has)) { G_has[a] = 1; G_node[++G_n] = a; G_nsucc[a] = 0 }
}
function gedge(a, b, why, from) {
    if (a == b) return
    gnode(a); gnode(b)
    if (!((a, b) in G_why)) { G_why[a, b] = why; G_from[a, b] = from; G_succ[a, ++G_nsucc[a]] = b }
}
# Breadth-first from s: B_seen[t] for every t reachable by a path of one edge
# or more (s itself only through a cycle), B_par[t] its predecessor on a
# shortest path, B_back the last node of a shortest cycle through s ("" if none).
function bfs(s,    q, qh, qt, u, k, v) {
    split("", B_seen); split("", B_par); B_back = ""
    qh = 1; qt = 0; q[++qt] = s
    while (qh <= qt) {
        u = q[qh++]
        for (k = 1; k <= G_nsucc[u]; k++) {
            v = G_succ[u, k]
            if (v == s) { if (B_back == "") B_back = u; continue }
            if (!(v in B_seen)) { B_seen[v] = 1; B_par[v] = u; q[++qt] = v }
        }
    }
}
function name_of(kind, node) { return kind == "file" ? disp(node) : dispfolder(node) }
# The label of the edge a -> b in a cycle: its reason, after the file that
# gives it when that is not the one the node is shown as (x.h of module x).
function label(kind, a, b,    from) {
    from = G_from[a, b]
    if (from == "" || from == name_of(kind, a)) return G_why[a, b]
    sub(/^.*\//, "", from)
    return from " " G_why[a, b]
}
# Reports each strongly connected part of G with more than one node: one
# shortest cycle through its first node (by name), with the reason of each
# edge, and the other nodes of the part.  Returns the number of cycles.
function cycles(kind,    i, j, s, t, m, found, nmem, mem, path, np, u, line, rest, incyc) {
    split("", C_reach); split("", C_cyc); split("", C_done)
    for (i = 1; i <= G_n; i++) {
        s = G_node[i]
        bfs(s)
        for (t in B_seen) C_reach[s, t] = 1
        if (B_back != "") C_cyc[s] = 1
    }
    found = 0
    for (i = 1; i <= G_n; i++) {
        s = G_node[i]
        if ((s in C_done) || !(s in C_cyc)) continue
        nmem = 0; split("", mem)
        m = s
        for (j = 1; j <= G_n; j++) {
            t = G_node[j]
            if (t == s || ((s, t) in C_reach && (t, s) in C_reach)) {
                mem[++nmem] = t; C_done[t] = 1
                if (name_of(kind, t) < name_of(kind, m)) m = t
            }
        }
        bfs(m)
        np = 0; split("", path); split("", incyc)
        for (u = B_back; u != m; u = B_par[u]) path[++np] = u
        path[++np] = m
        line = name_of(kind, m); incyc[m] = 1
        u = m
        for (j = np - 1; j >= 1; j--) {
            line = line " -[" label(kind, u, path[j]) "]-> " name_of(kind, path[j])
            incyc[path[j]] = 1
            u = path[j]
        }
        line = line " -[" label(kind, u, m) "]-> " name_of(kind, m)
        rest = ""
        for (j = 1; j <= nmem; j++)
            if (!(mem[j] in incyc)) rest = rest " " name_of(kind, mem[j])
        if (rest != "") line = line "; the same cycles also go through:" rest
        fail(kind " cycle", line)
        found++
    }
    return found
}
BEGIN {
    nl = 0; lineno = 0
    while ((r = (getline raw < LAYERS_FILE)) > 0) {
        lineno++
        l = raw
        sub(/#.*/, "", l); gsub(/^[ \t\r]+|[ \t\r]+$/, "", l)
        if (l == "") continue
        if (l ~ /[ \t]/) { fail("layer list", LAYERS_FILE ":" lineno ": \"" l "\" is not one folder"); continue }
        while (sub(/^\.\//, "", l)) {}
        gsub(/\/+/, "/", l); sub(/\/$/, "", l)
        if (l == "" || l ~ /^\// || l ~ /(^|\/)\.\.?(\/|$)/) {
            fail("layer list", LAYERS_FILE ":" lineno ": \"" raw "\" is not a folder under " TOP "/")
            continue
        }
        if (l in lidx) {
            fail("layer list", LAYERS_FILE ":" lineno ": " l " is listed twice (first on line " lline[l] ")")
            continue
        }
        lidx[l] = ++nl; lname[nl] = l; lline[l] = lineno
    }
    close(LAYERS_FILE)
    if (nl == 0) fail("layer list", LAYERS_FILE " lists no layer")
}
$1 == "F" {
    f = $2; exists[f] = 1
    if (f ~ /\.[ch]$/) {
        src[++ns] = f
        mod = module_of(f)
        if (!(mod in modfile)) modfile[mod] = f
        infolder[folder_of(f)]++
    }
    next
}
$1 == "O" {
    c = $2; o = $3; st = $4
    objsrc[o] = c
    why = $0; sub(/^O [^ ]+ [^ ]+ [^ ]+ ?/, "", why)
    orec[++no] = c; ostat[c] = st; oobj[c] = o; owhy[c] = why
    next
}
$1 == "I" {
    rest = substr($0, 3)
    p = index(rest, ":"); file = substr(rest, 1, p - 1); rest = substr(rest, p + 1)
    p = index(rest, ":"); ln = substr(rest, 1, p - 1); text = substr(rest, p + 1)
    if (!match(text, /["<][^">]+[">]/)) next
    d1 = substr(text, RSTART, 1); d2 = substr(text, RSTART + RLENGTH - 1, 1)
    if ((d1 == "\"") != (d2 == "\"")) next
    inc = substr(text, RSTART + 1, RLENGTH - 2)
    target = ""
    if (d1 == "\"") {
        dir = file; sub(/\/[^\/]*$/, "", dir)
        t = normpath(dir "/" inc)
        if (t in exists) target = t
    }
    if (target == "") { t = normpath(TOP "/" inc); if (t in exists) target = t }
    if (target == "" || target == file) next
    if ((file, target) in inc_seen) next
    inc_seen[file, target] = 1
    ninc++; ifile[ninc] = file; iline[ninc] = ln; iname[ninc] = d1 inc d2; itarget[ninc] = target
    next
}
$1 == "H" { hname[$2, $3] = 1; next }
$1 == "N" {
    o = $2; sub(/:$/, "", o); sym = $3; ty = $4
    if (!(o in objsrc)) next
    c = objsrc[o]
    if (ty ~ /^[A-TV-Z]$/) {
        defn[sym]++; defsrc[sym, defn[sym]] = c; deftype[sym, defn[sym]] = ty
        nds[c]++; dsym[c, nds[c]] = sym
    } else if (ty == "U" || ty == "w" || ty == "v") {
        nref++; rsrc[nref] = c; rsym[nref] = sym
    }
    next
}
END {
    # 4. Every source in a listed folder; every .c built and up to date.
    for (i = 1; i <= ns; i++) {
        f = src[i]; fo = folder_of(f)
        if (fo in lidx) { npass++; continue }
        if (fo == "") fail("unknown folder", f " is directly in " TOP "/, in no layer folder listed in " LAYERS_FILE)
        else fail("unknown folder", f " is in folder " fo ", which " LAYERS_FILE " does not list")
    }
    for (i = 1; i <= no; i++) {
        c = orec[i]
        if (ostat[c] == "ok") npass++
        else if (ostat[c] == "missing") fail("not built", c " has no object " oobj[c] "; build first (make)")
        else fail("out of date", oobj[c] " " owhy[c] "; build first (make)")
    }
    for (i = 1; i <= nl; i++)
        if (!(lname[i] in infolder))
            print ME ": note: layer " lname[i] " (" TOP "/" lname[i] "/) has no source file"

    gclear()
    # 2. Uses of symbols defined by another adapter object.
    ncalls = 0
    for (i = 1; i <= nref; i++) {
        c = rsrc[i]; sym = rsym[i]
        for (k = 1; k <= defn[sym]; k++) {
            d = defsrc[sym, k]
            if (d == c || (c, sym, d) in ref_seen) continue
            ref_seen[c, sym, d] = 1
            fn = deftype[sym, k] ~ /^[TWi]$/
            verb = fn ? "calls " sym "()" : "uses variable " sym
            gedge(module_of(c), module_of(d), verb, c)
            lc = layer_of(c); ld = layer_of(d)
            if (!lc || !ld) continue
            ncalls++
            if (ld > lc)
                fail("upward call", c " (layer " lname_of(c) ") " verb ", defined in " d " of higher layer " lname_of(d))
            else npass++
        }
    }
    # 1. Includes of adapter files.
    nincs = 0
    for (i = 1; i <= ninc; i++) {
        f = ifile[i]; t = itarget[i]
        if (!own_header(f, t)) gedge(module_of(f), module_of(t), "includes " iname[i], f)
        lf = layer_of(f); lt = layer_of(t)
        if (!lf || !lt) continue
        nincs++
        shown = iname[i]
        if (TOP "/" substr(iname[i], 2, length(iname[i]) - 2) != t) shown = shown " (" t ")"
        if (lt > lf)
            fail("upward include", f ":" iline[i] " (layer " lname_of(f) ") includes " shown " of higher layer " lname_of(t))
        else npass++
    }

    # 3. Cycles between files, then between folders.
    if (cycles("file") == 0) npass++
    nfe = 0
    for (i = 1; i <= G_n; i++) {
        a = G_node[i]
        for (k = 1; k <= G_nsucc[a]; k++) {
            b = G_succ[a, k]
            fa = folder_of(TOP "/" a); fb = folder_of(TOP "/" b)
            if (fa != fb) { nfe++; fea[nfe] = fa; feb[nfe] = fb; few[nfe] = (G_from[a, b] == "" ? disp(a) : G_from[a, b]) " " G_why[a, b] }
        }
    }
    gclear()
    for (i = 1; i <= nfe; i++) gedge(fea[i], feb[i], few[i], "")
    if (cycles("folder") == 0) npass++

    if (ns == 0) fail("no source", "no .c or .h file under " TOP "/")
    sum = plural(ns, "file") " in " plural(nl, "layer") ", " plural(ncalls, "call") " and " plural(nincs, "include") " checked"
    if (nfail == 0) {
        print ME ": " sum ", no upward edge, no cycle"
    } else {
        list = ""
        for (i = 1; i <= ncats; i++) list = list (i > 1 ? ", " : "") ncat[cats[i]] " " cats[i]
        print ME ": " sum ": " nfail " violation" (nfail == 1 ? "" : "s") " (" list ")"
    }
    print (npass + 0) " passed, " (nfail + 0) " failed"
    exit (nfail > 0 ? 1 : 0)
}
'
status=${PIPESTATUS[1]}
exit "$status"
