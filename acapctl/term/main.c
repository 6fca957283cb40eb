/*
 * main.c -- acapctl: argument parsing, configuration, and the choice
 * between one command (from argv), a batch (-f FILE, or stdin when it is
 * not a terminal) and the interactive shell (repl.c).
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "repl.h"
#include "words.h"

static void __attribute__((noreturn))
usage(int status)
{
	FILE *fp = status == 0 ? stdout : stderr;

	fprintf(fp,
"usage: acapctl [options] [COMMAND [ARGS...]]\n"
"       acapctl [options] -f FILE        (or commands on standard input)\n"
"\n"
"Connection (defaults from ~/.config/acapctl.conf or $ACAPCTL_CONFIG):\n"
"  -H, --host HOST        server (default localhost)\n"
"  -p, --port PORT        port (default 674)\n"
"  -4, -6                 IPv4 or IPv6 only\n"
"  -u, --user USER        SASL user to log in as\n"
"      --authzid ID       act as another user (admins)\n"
"      --password-file F  read the password from F ($ACAPCTL_PASSWORD,\n"
"                         else a prompt on the terminal)\n"
"      --mech LIST        SASL mechanisms to try\n"
"      --starttls         require STARTTLS  | --no-starttls  never\n"
"      --cafile F         CA certificates for the server certificate\n"
"      --tls-name NAME    name the certificate must carry\n"
"      --insecure         accept any certificate (test instances)\n"
"      --timeout SECONDS  per network operation (default 30)\n"
"Local instance (user accounts):\n"
"  -s, --statedir DIR     acapd state directory (its sasldb2)\n"
"      --sasldb PATH      the sasldb file itself\n"
"      --metrics HOST:PORT  acapd's metrics_listen, for \"stats\"\n"
"                         (default 127.0.0.1:9674)\n"
"Discovery (device profiles, enrol URLs):\n"
"      --enrol-url URL    base of enrol URLs (https://HOST[:PORT])\n"
"      --profile-cert F   certificate (and chain) signing profiles\n"
"      --profile-key F    its key (default: STATEDIR/cert.pem, key.pem)\n"
"      --sasl-sql URI     accounts in PostgreSQL (acapd's sasl_sql)\n"
"Output and batches:\n"
"      --json             one JSON object per command\n"
"  -f, --file FILE        run the commands in FILE ('-': stdin)\n"
"  -k, --keep-going       do not stop a batch at the first failure\n"
"  -c, --config FILE      configuration file to read\n"
"  -v, --verbose          show the protocol exchange on stderr\n"
"  -h, --help             this text; \"acapctl help\" lists commands\n"
"  -V, --version\n"
"Environment: ACAPCTL_PAGE_SIZE, entries per SEARCH when a whole dataset\n"
"is read (export, history; default 1000; 0: one SEARCH).\n");
	exit(status);
}

struct setting {
	const char *key;
	const char *value;
};

static int
run_batch(struct ctl *ctl, FILE *fp, const char *name)
{
	char *line = NULL, **argv;
	const char *err;
	size_t cap = 0, lineno = 0;
	int argc, r, worst = CTL_OK;

	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if (words_split(line, false, &argc, &argv, NULL, &err) == -1) {
			fprintf(stderr, "acapctl: %s:%zu: %s\n", name, lineno,
			    err);
			r = CTL_USAGE;
		} else {
			r = argc > 0 ? ctl_exec_words(ctl, argc, &argv) : CTL_OK;
			words_free(&argv);
		}
		if (r > worst)
			worst = r;
		if (r != CTL_OK && !ctl->keep_going) {
			fprintf(stderr, "acapctl: %s:%zu: stopped (use -k to "
			    "go on after failures)\n", name, lineno);
			break;
		}
	}
	free(line);
	return worst;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "authzid", required_argument, NULL, 'Z' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "mech", required_argument, NULL, 'M' },
		{ "starttls", no_argument, NULL, 'T' },
		{ "no-starttls", no_argument, NULL, 'N' },
		{ "cafile", required_argument, NULL, 'A' },
		{ "tls-name", required_argument, NULL, 'n' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "timeout", required_argument, NULL, 't' },
		{ "statedir", required_argument, NULL, 's' },
		{ "sasldb", required_argument, NULL, 'D' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "enrol-url", required_argument, NULL, 'E' },
		{ "profile-cert", required_argument, NULL, 'C' },
		{ "profile-key", required_argument, NULL, 'K' },
		{ "sasl-sql", required_argument, NULL, 'Q' },
		{ "json", no_argument, NULL, 'j' },
		{ "file", required_argument, NULL, 'f' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct setting *set = NULL;
	size_t nset = 0, i;
	const char *file = NULL, *config = NULL, *err;
	char *defpath, errbuf[1024];
	struct ctl ctl;
	FILE *fp;
	int ch, status;

	signal(SIGPIPE, SIG_IGN);
	ctl_init(&ctl);
	if ((set = calloc((size_t)argc + 1, sizeof(*set))) == NULL)
		abort();
	while ((ch = getopt_long(argc, argv, "+H:p:u:s:f:c:kvhV46", longopts,
	    NULL)) != -1) {
		struct setting *s = &set[nset];

		switch (ch) {
		case 'H': *s = (struct setting){ "host", optarg }; break;
		case 'p': *s = (struct setting){ "port", optarg }; break;
		case 'u': *s = (struct setting){ "user", optarg }; break;
		case 'Z': *s = (struct setting){ "authzid", optarg }; break;
		case 'P': *s = (struct setting){ "password-file", optarg };
			break;
		case 'M': *s = (struct setting){ "mech", optarg }; break;
		case 'T': *s = (struct setting){ "starttls", "yes" }; break;
		case 'N': *s = (struct setting){ "starttls", "no" }; break;
		case 'A': *s = (struct setting){ "cafile", optarg }; break;
		case 'n': *s = (struct setting){ "tls-name", optarg }; break;
		case 'I': *s = (struct setting){ "insecure", "yes" }; break;
		case 't': *s = (struct setting){ "timeout", optarg }; break;
		case 's': *s = (struct setting){ "statedir", optarg }; break;
		case 'D': *s = (struct setting){ "sasldb", optarg }; break;
		case 'm': *s = (struct setting){ "metrics", optarg }; break;
		case 'E': *s = (struct setting){ "enrol-url", optarg }; break;
		case 'C': *s = (struct setting){ "profile-cert", optarg };
			break;
		case 'K': *s = (struct setting){ "profile-key", optarg };
			break;
		case 'Q': *s = (struct setting){ "sasl-sql", optarg }; break;
		case '4': *s = (struct setting){ "family", "4" }; break;
		case '6': *s = (struct setting){ "family", "6" }; break;
		case 'j': ctl.json = true; continue;
		case 'f': file = optarg; continue;
		case 'k': ctl.keep_going = true; continue;
		case 'c': config = optarg; continue;
		case 'v': ctl.verbose = true; continue;
		case 'h': usage(0);
		case 'V':
			printf("acapctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(CTL_USAGE);
		}
		nset++;
	}
	argc -= optind;
	argv += optind;

	/* the file first, then the command line over it */
	defpath = config == NULL ? conf_default_path() : NULL;
	if ((config != NULL || defpath != NULL) &&
	    conf_load(&ctl.conf, config != NULL ? config : defpath,
	    config != NULL, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "acapctl: %s\n", errbuf);
		free(defpath);
		free(set);
		ctl_deinit(&ctl);
		return CTL_USAGE;
	}
	free(defpath);
	for (i = 0; i < nset; i++)
		if (conf_set(&ctl.conf, set[i].key, set[i].value, &err) == -1) {
			fprintf(stderr, "acapctl: --%s %s: %s\n", set[i].key,
			    set[i].value, err);
			free(set);
			ctl_deinit(&ctl);
			return CTL_USAGE;
		}
	free(set);

	if (argc > 0) {
		if (file != NULL) {
			fprintf(stderr, "acapctl: -f and a command exclude "
			    "each other\n");
			ctl_deinit(&ctl);
			return CTL_USAGE;
		}
		status = ctl_exec(&ctl, argc, argv);
	} else if (file != NULL) {
		if (strcmp(file, "-") == 0) {
			ctl.stdin_busy = true;
			status = run_batch(&ctl, stdin, "stdin");
		} else if ((fp = fopen(file, "r")) == NULL) {
			fprintf(stderr, "acapctl: %s: %s\n", file,
			    strerror(errno));
			status = CTL_FAIL;
		} else {
			status = run_batch(&ctl, fp, file);
			fclose(fp);
		}
	} else if (!isatty(STDIN_FILENO)) {
		ctl.stdin_busy = true;
		status = run_batch(&ctl, stdin, "stdin");
	} else
		status = repl_run(&ctl);
	ctl_deinit(&ctl);
	return status;
}
