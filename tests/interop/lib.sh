# Sourced by the interop tests (tests/interop/run-NAME.sh): skip, counted as
# skipped (exit 77), unless emacs and Wanderlust's acap.el are installed
# (Debian packages emacs-nox and wl; tools/deps.sh installs them), then
# run tests/interop/NAME.acap through the scenario driver, which starts
# a fresh acapd on 127.0.0.1 for it.
interop_run()
{
	if ! command -v emacs >/dev/null 2>&1; then
		echo "skipped: emacs is not installed"
		exit 77
	fi
	if [ ! -f /usr/share/emacs/site-lisp/wl/acap.el ]; then
		echo "skipped: acap.el (package wl) is not installed"
		exit 77
	fi
	exec "$top_builddir/tests/protocol/acap-script" \
	    "$top_srcdir/tests/interop/$1.acap"
}
