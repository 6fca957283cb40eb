dnl ACAP_WARNINGS: add the project's warning flags to WARN_CFLAGS when the
dnl compiler accepts them; --enable-werror adds -Werror.
AC_DEFUN([ACAP_WARNINGS], [
	WARN_CFLAGS=""
	for flag in -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Wpointer-arith -Wno-unused-parameter \
	    -Wno-sign-compare; do
		AX_SAVE_CFLAGS="$CFLAGS"
		CFLAGS="$CFLAGS -Werror $flag"
		AC_MSG_CHECKING([whether $CC accepts $flag])
		AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
		    [AC_MSG_RESULT([yes]); WARN_CFLAGS="$WARN_CFLAGS $flag"],
		    [AC_MSG_RESULT([no])])
		CFLAGS="$AX_SAVE_CFLAGS"
	done
	AC_ARG_ENABLE([werror],
	    AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors]),
	    [], [enable_werror=no])
	AS_IF([test "x$enable_werror" = xyes],
	    [WARN_CFLAGS="$WARN_CFLAGS -Werror"])
	AC_SUBST([WARN_CFLAGS])
])
