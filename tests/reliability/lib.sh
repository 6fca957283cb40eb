# lib.sh -- shared by the tests/reliability wrappers.  Sourced, not run.
#
# Finds python3 (3.7 or newer) and runs one of the Python tests next to
# this file with the suite's environment ($top_builddir, $top_srcdir);
# fails when python3 is missing (tools/deps.sh installs it).
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
PYTHONDONTWRITEBYTECODE=1
export top_builddir top_srcdir PYTHONDONTWRITEBYTECODE
REL_DIR=$top_srcdir/tests/reliability

rel_python() {	# SCRIPT ARGS...
	py=$(command -v python3) || {
		echo "$1: FAIL: python3 not found (tools/deps.sh installs it)" >&2
		exit 1
	}
	"$py" -c 'import sys; sys.exit(sys.version_info < (3, 7))' || {
		echo "$1: FAIL: python3 older than 3.7" >&2
		exit 1
	}
	script=$1
	shift
	exec "$py" "$REL_DIR/$script" "$@"
}
