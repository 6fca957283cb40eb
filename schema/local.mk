# schema/: numbered SQL migrations of the dataset store (001-*.sql, 002-...,
# numbered without gaps: migration N sets PRAGMA user_version = N).  They
# are installed under $(pkgdatadir)/schema for operators, and compiled into
# acapd as C strings (schema/schema-sql.c, generated below and linked into
# acapd/libstore.a) so the daemon never depends on the installed copies.
SCHEMA_SQL = schema/001-init.sql schema/002-audit.sql
# The PostgreSQL backend's migrations (schema/pg/NNN-*.sql, numbered the
# same way; applied after acap_schema.version), compiled in alike.
SCHEMA_PG_SQL = schema/pg/001-log.sql

schemadir = $(pkgdatadir)/schema
dist_schema_DATA = $(SCHEMA_SQL)
schemapgdir = $(pkgdatadir)/schema/pg
dist_schemapg_DATA = $(SCHEMA_PG_SQL)

CLEANFILES += schema/schema-sql.c

schema/schema-sql.c: $(SCHEMA_SQL) $(SCHEMA_PG_SQL) $(top_srcdir)/schema/local.mk
	$(AM_V_GEN)$(MKDIR_P) schema && { \
	  echo '/* Generated from $(SCHEMA_SQL) by schema/local.mk; do not edit. */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const char *const store_schema_sql[];'; \
	  echo 'extern const size_t store_schema_count;'; \
	  echo 'const char *const store_schema_sql[] = {'; \
	  for f in $(SCHEMA_SQL); do \
	    test -f "$$f" || f="$(srcdir)/$$f"; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/	"/' -e 's/$$/\\n"/' "$$f"; \
	    echo '	,'; \
	  done; \
	  echo '};'; \
	  echo 'const size_t store_schema_count ='; \
	  echo '    sizeof(store_schema_sql) / sizeof(store_schema_sql[0]);'; \
	  echo 'extern const char *const store_schema_pg_sql[];'; \
	  echo 'extern const size_t store_schema_pg_count;'; \
	  echo 'const char *const store_schema_pg_sql[] = {'; \
	  for f in $(SCHEMA_PG_SQL); do \
	    test -f "$$f" || f="$(srcdir)/$$f"; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/	"/' -e 's/$$/\\n"/' "$$f"; \
	    echo '	,'; \
	  done; \
	  echo '};'; \
	  echo 'const size_t store_schema_pg_count ='; \
	  echo '    sizeof(store_schema_pg_sql) / sizeof(store_schema_pg_sql[0]);'; \
	} > $@-t && mv $@-t $@
