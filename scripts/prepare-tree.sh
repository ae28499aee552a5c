#!/bin/bash
# Make $WORK (build/work) a git tree of the base source with the series
# applied by git am: the tree developers edit and tests build.
#
# Re-running it after patches/ changed re-applies the series.  It refuses
# to throw away commits in $WORK that are not in patches/ yet (run
# scripts/export-patches.sh first) unless FORCE=1.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

state=$WORK/.git/lowpower-state

init_tree() {
	local src
	src=$("$ROOT/scripts/get-source.sh")
	log "copying $src to $WORK"
	rm -rf "$WORK"
	mkdir -p "$(dirname "$WORK")"
	cp -a "$src" "$WORK"
	rm -f "$WORK/.extracted"
	cd "$WORK"
	git init -q
	git config user.name "$PROJECT_NAME"
	git config user.email "$PROJECT_EMAIL"
	# Debian's tree ignores everything at the top level: add by force
	log "committing the base (takes a minute)"
	git add -A -f
	git commit -q -m "base: $(make -s kernelversion)"
	git tag base
}

want=$(series_hash)
if [ -d "$WORK/.git" ] && git -C "$WORK" rev-parse -q --verify base >/dev/null; then
	read -r had_hash had_head 2>/dev/null <"$state" || true
	head=$(git -C "$WORK" rev-parse HEAD)
	if [ "${had_hash:-}" = "$want" ] && [ "${had_head:-}" = "$head" ] &&
	   [ -z "$(git -C "$WORK" status --porcelain --untracked-files=no)" ]; then
		log "$WORK is up to date with patches/"
		exit 0
	fi
	if [ "${FORCE:-0}" != 1 ] && [ "${had_head:-}" != "$head" ]; then
		die "$WORK has commits not exported to patches/ (HEAD $head);" \
		    "run scripts/export-patches.sh, or FORCE=1 to discard them"
	fi
	if [ "${FORCE:-0}" != 1 ] && [ -n "$(git -C "$WORK" status --porcelain --untracked-files=no)" ]; then
		die "$WORK has uncommitted changes; commit and export them, or FORCE=1 to discard them"
	fi
	git -C "$WORK" am --abort >/dev/null 2>&1 || true
	git -C "$WORK" reset -q --hard base
else
	init_tree
fi

cd "$WORK"
mapfile -t files < <(series_patches)
[ ${#files[@]} -gt 0 ] || die "patches/series lists no patches"
log "applying ${#files[@]} patches with git am"
git am -q --whitespace=error-all "${files[@]}" ||
	die "git am failed; the tree is left mid-am in $WORK (git am --abort)"
echo "$want $(git rev-parse HEAD)" >"$state"
log "$WORK: $(git log --oneline base..HEAD | wc -l) patches on $(git log -1 --format=%s base)"
