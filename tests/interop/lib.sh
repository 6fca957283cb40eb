# Sourced by the interop tests (tests/interop/run-NAME.sh): fail unless
# emacs and Wanderlust's acap.el are installed (Debian packages emacs-nox
# and wl; tools/deps.sh installs them, so a missing one is a failure, not
# a skip), then
# run tests/interop/NAME.acap through the scenario driver, which starts
# a fresh acapd on 127.0.0.1 for it.
interop_run()
{
	if ! command -v emacs >/dev/null 2>&1; then
		echo "FAIL: emacs is not installed (emacs-nox, tools/deps.sh)"
		exit 1
	fi
	if [ ! -f /usr/share/emacs/site-lisp/wl/acap.el ]; then
		echo "FAIL: acap.el is not installed (wl, tools/deps.sh)"
		exit 1
	fi
	exec "$top_builddir/tests/protocol/acap-script" \
	    "$top_srcdir/tests/interop/$1.acap"
}
