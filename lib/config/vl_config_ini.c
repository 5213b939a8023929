/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_config_ini.c - the --config file: [global] and one [interface NAME] per interface.
 *
 * One pass over the lines builds the sections and their "key = value" entries, each with its line
 * number, so that every error - syntax or value - names the file and the line. Comments start
 * with ';' or '#' at the start of a line or after a blank, outside quotes. A value may be quoted
 * with "..." or '...' (the quotes are removed; nothing is escaped inside); a quote that does not
 * close, or text after the closing quote, is an error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_config.h"
#include "config_priv.h"

#define INI_IFACE_PREFIX "interface"
#define INI_NAME_MAX 64	  /* section names and keys */
#define INI_VALUE_MAX 256 /* values: longer than any field we store */
#define INI_LINE_MAX 1024
static const char ini_iface_keys[] = "socket, mode, queue-pairs, mac, socket-mode, socket-group";

struct ini_entry {
	char key[INI_NAME_MAX];
	char value[INI_VALUE_MAX];
	unsigned int line;
};

struct ini_section {
	char name[INI_NAME_MAX];
	unsigned int line;
	struct ini_entry *entries;
	unsigned int nb_entries;
};

struct ini_file {
	const char *path;
	struct ini_section *sections;
	unsigned int nb_sections;
};

static int
ini_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Strip blanks at both ends, in place; returns the new start. */
static char *
ini_strip(char *s, size_t *len)
{
	size_t n = *len;

	while (n > 0 && ini_is_space(s[n - 1]))
		n--;
	while (n > 0 && ini_is_space(*s)) {
		s++;
		n--;
	}
	s[n] = '\0';
	*len = n;
	return s;
}

/* Length of line without its comment: ';' or '#' at the start or after a blank, not in quotes. */
static size_t
ini_cut_comment(const char *line, size_t len)
{
	char quote = 0;

	for (size_t i = 0; i < len; i++) {
		char c = line[i];

		if (quote != 0) {
			if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '"' || c == '\'')
			quote = c;
		else if ((c == ';' || c == '#') && (i == 0 || ini_is_space(line[i - 1])))
			return i;
	}
	return len;
}

static void
ini_free(struct ini_file *f)
{
	for (unsigned int i = 0; i < f->nb_sections; i++)
		free(f->sections[i].entries);
	free(f->sections);
	f->sections = NULL;
	f->nb_sections = 0;
}

/* Unquote value in place: "x" or 'x' -> x. */
static int
ini_unquote(char *value, size_t *len, const struct ini_file *f, unsigned int lineno,
	    const char *key, char *err, size_t errlen)
{
	char q = value[0];
	char *close;

	if (q != '"' && q != '\'') {
		if (memchr(value, '"', *len) != NULL || memchr(value, '\'', *len) != NULL)
			return config_fail(
				err, errlen,
				"%s:%u: %s = %s: a quote inside a value; quote the whole "
				"value (\"...\" or '...') or leave quotes out",
				f->path, lineno, key, value);
		return 0;
	}
	close = memchr(value + 1, q, *len - 1);
	if (close == NULL)
		return config_fail(err, errlen, "%s:%u: %s = %s: the quote %c does not close",
				   f->path, lineno, key, value, q);
	if (close != value + *len - 1)
		return config_fail(err, errlen,
				   "%s:%u: %s = %s: text after the closing quote (nothing is "
				   "escaped inside quotes)",
				   f->path, lineno, key, value);
	*len -= 2;
	memmove(value, value + 1, *len);
	value[*len] = '\0';
	return 0;
}

/* One raw line into f, with its number for errors. */
static int
ini_parse_line(struct ini_file *f, char *line, size_t len, unsigned int lineno, char *err,
	       size_t errlen)
{
	struct ini_section *sec;
	struct ini_entry *e;
	char *eq, *key, *value;
	size_t key_len, value_len;

	if (memchr(line, '\0', len) != NULL)
		return config_fail(err, errlen, "%s:%u: NUL byte in line", f->path, lineno);
	len = ini_cut_comment(line, len);
	line = ini_strip(line, &len);
	if (len == 0)
		return 0;
	if (line[0] == '[') {
		char *end = memchr(line, ']', len);
		size_t name_len;
		char *name;

		if (end == NULL || end != line + len - 1)
			return config_fail(err, errlen,
					   "%s:%u: a section heading is '[name]' alone on its line",
					   f->path, lineno);
		name_len = (size_t)(end - line - 1);
		name = ini_strip(line + 1, &name_len);
		if (name_len == 0 || name_len >= INI_NAME_MAX)
			return config_fail(err, errlen, "%s:%u: section name must be 1 to %d bytes",
					   f->path, lineno, INI_NAME_MAX - 1);
		sec = realloc(f->sections, sizeof(*sec) * (f->nb_sections + 1));
		if (sec == NULL)
			return config_fail(err, errlen, "%s: out of memory", f->path);
		f->sections = sec;
		sec = &f->sections[f->nb_sections++];
		memset(sec, 0, sizeof(*sec));
		memcpy(sec->name, name, name_len + 1);
		sec->line = lineno;
		return 0;
	}
	eq = memchr(line, '=', len);
	if (eq == NULL)
		return config_fail(err, errlen, "%s:%u: expected 'key = value' or '[section]'",
				   f->path, lineno);
	if (f->nb_sections == 0)
		return config_fail(err, errlen,
				   "%s:%u: key before any section (start with [global] or "
				   "[interface NAME])",
				   f->path, lineno);
	key_len = (size_t)(eq - line);
	value_len = len - key_len - 1;
	key = ini_strip(line, &key_len);
	value = ini_strip(eq + 1, &value_len);
	if (key_len == 0 || key_len >= INI_NAME_MAX)
		return config_fail(err, errlen, "%s:%u: key must be 1 to %d bytes", f->path, lineno,
				   INI_NAME_MAX - 1);
	if (value_len == 0)
		return config_fail(err, errlen, "%s:%u: %s: empty value", f->path, lineno, key);
	if (ini_unquote(value, &value_len, f, lineno, key, err, errlen) != 0)
		return -EINVAL;
	if (value_len >= INI_VALUE_MAX)
		return config_fail(err, errlen, "%s:%u: %s: value longer than %d bytes", f->path,
				   lineno, key, INI_VALUE_MAX - 1);
	sec = &f->sections[f->nb_sections - 1];
	for (unsigned int i = 0; i < sec->nb_entries; i++)
		if (strcmp(sec->entries[i].key, key) == 0)
			return config_fail(err, errlen,
					   "%s:%u: [%s] %s: given twice (first on line %u)",
					   f->path, lineno, sec->name, key, sec->entries[i].line);
	e = realloc(sec->entries, sizeof(*e) * (sec->nb_entries + 1));
	if (e == NULL)
		return config_fail(err, errlen, "%s: out of memory", f->path);
	sec->entries = e;
	e = &sec->entries[sec->nb_entries++];
	memcpy(e->key, key, key_len + 1);
	memcpy(e->value, value, value_len + 1);
	e->line = lineno;
	return 0;
}

static int
ini_read(struct ini_file *f, char *err, size_t errlen)
{
	unsigned int lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	FILE *in;

	in = fopen(f->path, "r");
	if (in == NULL)
		return config_fail(err, errlen, "%s: cannot open: %s", f->path, strerror(errno));
	while (rc == 0 && (len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		if ((size_t)len > INI_LINE_MAX)
			rc = config_fail(err, errlen, "%s:%u: line longer than %d bytes", f->path,
					 lineno, INI_LINE_MAX);
		else
			rc = ini_parse_line(f, line, (size_t)len, lineno, err, errlen);
	}
	if (rc == 0 && ferror(in))
		rc = config_fail(err, errlen, "%s: cannot read: %s", f->path, strerror(errno));
	free(line);
	fclose(in);
	return rc;
}

/* "PATH:LINE: [SECTION] KEY = VALUE", the start of every value error. */
static void
ini_where(char *buf, size_t len, const struct ini_file *f, const struct ini_section *sec,
	  const struct ini_entry *e)
{
	snprintf(buf, len, "%s:%u: [%s] %s = %s", f->path, e->line, sec->name, e->key, e->value);
}

static int
ini_apply_global(struct vl_config *cfg, const struct ini_file *f, const struct ini_section *sec,
		 char *err, size_t errlen)
{
	char where[INI_NAME_MAX * 2 + INI_VALUE_MAX + 4200];

	for (unsigned int i = 0; i < sec->nb_entries; i++) {
		const struct ini_entry *e = &sec->entries[i];
		int rc;

		ini_where(where, sizeof(where), f, sec, e);
		rc = config_set_global(cfg, e->key, e->value, where, err, errlen);
		if (rc == -ENOENT)
			return config_fail(err, errlen,
					   "%s:%u: [global] %s: unknown key (known: %s)", f->path,
					   e->line, e->key, config_global_keys);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
ini_apply_iface(struct vl_iface_config *ifc, const struct ini_file *f,
		const struct ini_section *sec, char *err, size_t errlen)
{
	char where[INI_NAME_MAX * 2 + INI_VALUE_MAX + 4200];
	bool have_socket = false;

	for (unsigned int i = 0; i < sec->nb_entries; i++) {
		const struct ini_entry *e = &sec->entries[i];
		int rc;

		ini_where(where, sizeof(where), f, sec, e);
		if (strcmp(e->key, "socket") == 0) {
			rc = config_iface_set_socket(ifc, e->value, where, err, errlen);
			have_socket = true;
		} else if (strcmp(e->key, "mode") == 0) {
			rc = config_iface_set_mode(ifc, e->value, where, err, errlen);
		} else if (strcmp(e->key, "queue-pairs") == 0) {
			rc = config_iface_set_queue_pairs(ifc, e->value, where, err, errlen);
		} else if (strcmp(e->key, "mac") == 0) {
			rc = config_iface_set_mac(ifc, e->value, where, err, errlen);
		} else if (strcmp(e->key, "socket-mode") == 0) {
			rc = config_iface_set_socket_mode(ifc, e->value, where, err, errlen);
		} else if (strcmp(e->key, "socket-group") == 0) {
			rc = config_iface_set_socket_group(ifc, e->value, where, err, errlen);
		} else {
			return config_fail(err, errlen, "%s:%u: [%s] %s: unknown key (known: %s)",
					   f->path, e->line, sec->name, e->key, ini_iface_keys);
		}
		if (rc != 0)
			return rc;
	}
	if (!have_socket)
		return config_fail(err, errlen, "%s:%u: [%s]: missing key socket", f->path,
				   sec->line, sec->name);
	return 0;
}

/* "interface NAME" -> NAME, or NULL when the section is not an interface. */
static const char *
ini_iface_name(const char *section)
{
	size_t plen = strlen(INI_IFACE_PREFIX);

	if (strcmp(section, INI_IFACE_PREFIX) == 0)
		return ""; /* "[interface]": fails the name check with a clear message */
	if (strncmp(section, INI_IFACE_PREFIX, plen) != 0 || !ini_is_space(section[plen]))
		return NULL;
	section += plen;
	while (ini_is_space(*section))
		section++;
	return section;
}

static int
ini_apply(struct vl_config *cfg, const struct ini_file *f, char *err, size_t errlen)
{
	unsigned int nb_ifaces = 0;
	bool have_global = false;
	char msg[256];

	for (unsigned int s = 0; s < f->nb_sections; s++) {
		const struct ini_section *sec = &f->sections[s];
		struct vl_iface_config *ifc;
		char where[INI_NAME_MAX + 4200];
		const char *name;
		int rc;

		if (strcmp(sec->name, "global") == 0) {
			if (have_global)
				return config_fail(err, errlen,
						   "%s:%u: [global]: section given twice", f->path,
						   sec->line);
			have_global = true;
			rc = ini_apply_global(cfg, f, sec, err, errlen);
			if (rc != 0)
				return rc;
			continue;
		}
		name = ini_iface_name(sec->name);
		if (name == NULL)
			return config_fail(err, errlen,
					   "%s:%u: [%s]: unknown section (known: [global], "
					   "[interface NAME])",
					   f->path, sec->line, sec->name);
		if (nb_ifaces == VL_MAX_IFACES)
			return config_fail(err, errlen, "%s:%u: [%s]: more than %d interfaces",
					   f->path, sec->line, sec->name, VL_MAX_IFACES);
		ifc = &cfg->ifaces[nb_ifaces];
		config_iface_init(ifc, nb_ifaces);
		snprintf(where, sizeof(where), "%s:%u: [%s]", f->path, sec->line, sec->name);
		rc = config_iface_set_name(ifc, name, where, err, errlen);
		if (rc == 0)
			rc = ini_apply_iface(ifc, f, sec, err, errlen);
		if (rc != 0)
			return rc;
		nb_ifaces++;
	}
	/* The file's interfaces replace earlier ones: a profile describes the whole set. */
	if (nb_ifaces > 0)
		cfg->nb_ifaces = nb_ifaces;
	if (config_check_ifaces(cfg, msg, sizeof(msg)) != 0)
		return config_fail(err, errlen, "%s: %s", f->path, msg);
	return 0;
}

/* Largest --config file read: profiles are a few hundred bytes. */
#define CONFIG_FILE_MAX (1u << 20)

/*
 * A JSON document (what --dump-config prints) starts with '{' after blanks; an INI file cannot
 * (a line starting with '{' is neither a section, a key nor a comment). -1 when the file cannot
 * be read (err set), 1 for JSON with the content in *doc (free it), 0 for INI.
 */
static int
config_file_is_json(const char *path, char **doc, size_t *doc_len, char *err, size_t errlen)
{
	char *buf;
	size_t len, i = 0;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		config_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		config_fail(err, errlen, "%s: out of memory", path);
		return -1;
	}
	len = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f) || len > CONFIG_FILE_MAX) {
		config_fail(err, errlen,
			    ferror(f) ? "%s: cannot read it"
				      : "%s: larger than 1 MiB: not a config",
			    path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	while (i < len && ini_is_space(buf[i]))
		i++;
	if (i == len || buf[i] != '{') {
		free(buf);
		return 0;
	}
	buf[len] = '\0';
	*doc = buf;
	*doc_len = len;
	return 1;
}

int
vl_config_load_file(struct vl_config *cfg, const char *path, char *err, size_t errlen)
{
	struct vl_config tmp = *cfg;
	struct ini_file file = {.path = path};
	char *doc = NULL;
	size_t doc_len = 0;
	int rc;

	rc = config_file_is_json(path, &doc, &doc_len, err, errlen);
	if (rc < 0)
		return -EINVAL;
	if (rc > 0) {
		rc = config_load_json_doc(cfg, path, doc, doc_len, err, errlen);
		free(doc);
		return rc;
	}
	/* Work on a copy: a file with an error changes nothing. */
	rc = ini_read(&file, err, errlen);
	if (rc == 0)
		rc = ini_apply(&tmp, &file, err, errlen);
	ini_free(&file);
	if (rc != 0)
		return -EINVAL;
	*cfg = tmp;
	return 0;
}
