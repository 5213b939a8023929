/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_config_ini.c - the --config file: [global] and one [interface NAME] per interface, read with
 * DPDK's rte_cfgfile (no EAL needed).
 *
 * rte_cfgfile says nothing about why a file does not load and skips some lines silently (a line
 * with no '=' outside a section heading, e.g. "burst 64"), so a first pass over the raw lines
 * reports those problems with a line number, and rejects what rte_cfgfile would truncate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cfgfile.h>

#include "vl_config.h"
#include "config_priv.h"

#define INI_COMMENT ';' /* rte_cfgfile's default comment character */
#define INI_IFACE_PREFIX "interface"
static const char ini_iface_keys[] = "socket, mode, queue-pairs, mac";

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

/* One raw line: the checks rte_cfgfile does not report, with a line number. */
static int
ini_check_line(char *line, size_t len, const char *path, unsigned int lineno, bool *in_section,
	       char *err, size_t errlen)
{
	char *comment, *eq, *key;
	size_t key_len, value_len;

	if (memchr(line, '\0', len) != NULL)
		return config_fail(err, errlen, "%s:%u: NUL byte in line", path, lineno);
	/* Same rule as rte_cfgfile: the first ';' starts a comment unless escaped as "\;". */
	comment = memchr(line, INI_COMMENT, len);
	if (comment != NULL && (comment == line || comment[-1] != '\\'))
		len = (size_t)(comment - line);
	line = ini_strip(line, &len);
	if (len == 0)
		return 0;
	if (line[0] == '#')
		return config_fail(err, errlen, "%s:%u: comments start with ';', not '#'", path,
				   lineno);
	if (line[0] == '[') {
		char *end = memchr(line, ']', len);
		size_t name_len;

		if (end == NULL || end != line + len - 1)
			return config_fail(err, errlen,
					   "%s:%u: a section heading is '[name]' alone on its line",
					   path, lineno);
		name_len = (size_t)(end - line - 1);
		ini_strip(line + 1, &name_len);
		if (name_len == 0 || name_len >= CFG_NAME_LEN)
			return config_fail(err, errlen, "%s:%u: section name must be 1 to %d bytes",
					   path, lineno, CFG_NAME_LEN - 1);
		*in_section = true;
		return 0;
	}
	eq = memchr(line, '=', len);
	if (eq == NULL)
		return config_fail(err, errlen, "%s:%u: expected 'key = value' or '[section]'",
				   path, lineno);
	if (!*in_section)
		return config_fail(err, errlen,
				   "%s:%u: key before any section (start with [global] or "
				   "[interface NAME])",
				   path, lineno);
	key_len = (size_t)(eq - line);
	value_len = len - key_len - 1;
	key = ini_strip(line, &key_len);
	ini_strip(eq + 1, &value_len);
	if (key_len == 0 || key_len >= CFG_NAME_LEN)
		return config_fail(err, errlen, "%s:%u: key must be 1 to %d bytes", path, lineno,
				   CFG_NAME_LEN - 1);
	if (value_len == 0)
		return config_fail(err, errlen, "%s:%u: %s: empty value", path, lineno, key);
	if (value_len >= CFG_VALUE_LEN)
		return config_fail(err, errlen, "%s:%u: %s: value longer than %d bytes", path,
				   lineno, key, CFG_VALUE_LEN - 1);
	return 0;
}

static int
ini_precheck(const char *path, char *err, size_t errlen)
{
	bool in_section = false;
	unsigned int lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL)
		return config_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		/* rte_cfgfile reads lines into a fixed buffer and fails on a longer one. */
		if ((size_t)len > CFG_NAME_LEN + CFG_VALUE_LEN + 2)
			rc = config_fail(err, errlen, "%s:%u: line longer than %d bytes", path,
					 lineno, CFG_NAME_LEN + CFG_VALUE_LEN + 2);
		else
			rc = ini_check_line(line, (size_t)len, path, lineno, &in_section, err,
					    errlen);
	}
	if (rc == 0 && ferror(f))
		rc = config_fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	free(line);
	fclose(f);
	return rc;
}

static int
ini_apply_global(struct vl_config *cfg, const char *path, const struct rte_cfgfile_entry *entries,
		 int nb_entries, char *err, size_t errlen)
{
	char where[CFG_NAME_LEN + CFG_VALUE_LEN + 512];

	for (int i = 0; i < nb_entries; i++) {
		const struct rte_cfgfile_entry *e = &entries[i];
		int rc;

		for (int j = 0; j < i; j++)
			if (strcmp(entries[j].name, e->name) == 0)
				return config_fail(err, errlen, "%s: [global] %s: given twice",
						   path, e->name);
		snprintf(where, sizeof(where), "%s: [global] %s = %s", path, e->name, e->value);
		rc = config_set_global(cfg, e->name, e->value, where, err, errlen);
		if (rc == -ENOENT)
			return config_fail(err, errlen, "%s: [global] %s: unknown key (known: %s)",
					   path, e->name, config_global_keys);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
ini_apply_iface(struct vl_iface_config *ifc, const char *path, const char *section,
		const struct rte_cfgfile_entry *entries, int nb_entries, char *err, size_t errlen)
{
	char where[CFG_NAME_LEN + CFG_VALUE_LEN + 512];
	bool have_socket = false;

	for (int i = 0; i < nb_entries; i++) {
		const struct rte_cfgfile_entry *e = &entries[i];
		int rc;

		for (int j = 0; j < i; j++)
			if (strcmp(entries[j].name, e->name) == 0)
				return config_fail(err, errlen, "%s: [%s] %s: given twice", path,
						   section, e->name);
		snprintf(where, sizeof(where), "%s: [%s] %s = %s", path, section, e->name,
			 e->value);
		if (strcmp(e->name, "socket") == 0) {
			rc = config_iface_set_socket(ifc, e->value, where, err, errlen);
			have_socket = true;
		} else if (strcmp(e->name, "mode") == 0) {
			rc = config_iface_set_mode(ifc, e->value, where, err, errlen);
		} else if (strcmp(e->name, "queue-pairs") == 0) {
			rc = config_iface_set_queue_pairs(ifc, e->value, where, err, errlen);
		} else if (strcmp(e->name, "mac") == 0) {
			rc = config_iface_set_mac(ifc, e->value, where, err, errlen);
		} else {
			return config_fail(err, errlen, "%s: [%s] %s: unknown key (known: %s)",
					   path, section, e->name, ini_iface_keys);
		}
		if (rc != 0)
			return rc;
	}
	if (!have_socket)
		return config_fail(err, errlen, "%s: [%s]: missing key socket", path, section);
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
ini_apply(struct vl_config *cfg, struct rte_cfgfile *file, const char *path, char *err,
	  size_t errlen)
{
	struct rte_cfgfile_entry *entries = NULL;
	int nb_sections = rte_cfgfile_num_sections(file, NULL, 0);
	unsigned int nb_ifaces = 0;
	bool have_global = false;
	int rc = 0;

	for (int s = 0; s < nb_sections && rc == 0; s++) {
		char section[CFG_NAME_LEN];
		const char *name;
		int nb_entries = rte_cfgfile_section_num_entries_by_index(file, section, s);

		if (nb_entries < 0) {
			rc = config_fail(err, errlen, "%s: cannot read section %d", path, s);
			break;
		}
		free(entries);
		entries = calloc((size_t)nb_entries + 1, sizeof(*entries));
		if (entries == NULL) {
			rc = -ENOMEM;
			config_fail(err, errlen, "%s: out of memory", path);
			break;
		}
		nb_entries =
			rte_cfgfile_section_entries_by_index(file, s, section, entries, nb_entries);

		if (strcmp(section, "global") == 0) {
			if (have_global)
				rc = config_fail(err, errlen, "%s: [global]: section given twice",
						 path);
			else
				rc = ini_apply_global(cfg, path, entries, nb_entries, err, errlen);
			have_global = true;
			continue;
		}
		name = ini_iface_name(section);
		if (name == NULL) {
			rc = config_fail(err, errlen,
					 "%s: [%s]: unknown section (known: [global], "
					 "[interface NAME])",
					 path, section);
			break;
		}
		if (nb_ifaces == VL_MAX_IFACES) {
			rc = config_fail(err, errlen, "%s: [%s]: more than %d interfaces", path,
					 section, VL_MAX_IFACES);
			break;
		}
		{
			struct vl_iface_config *ifc = &cfg->ifaces[nb_ifaces];
			char where[CFG_NAME_LEN + 64];

			config_iface_init(ifc, nb_ifaces);
			snprintf(where, sizeof(where), "%s: [%s]", path, section);
			rc = config_iface_set_name(ifc, name, where, err, errlen);
			if (rc == 0)
				rc = ini_apply_iface(ifc, path, section, entries, nb_entries, err,
						     errlen);
		}
		nb_ifaces++;
	}
	free(entries);
	/* The file's interfaces replace earlier ones: a profile describes the whole set. */
	if (rc == 0 && nb_ifaces > 0)
		cfg->nb_ifaces = nb_ifaces;
	if (rc == 0) {
		char msg[256];

		rc = config_check_ifaces(cfg, msg, sizeof(msg));
		if (rc != 0)
			config_fail(err, errlen, "%s: %s", path, msg);
	}
	if (rc != 0 && rc != -ENOMEM)
		rc = -EINVAL;
	return rc;
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
	struct rte_cfgfile *file;
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
	rc = ini_precheck(path, err, errlen);
	if (rc != 0)
		return rc;
	file = rte_cfgfile_load(path, 0);
	if (file == NULL)
		return config_fail(err, errlen, "%s: rte_cfgfile cannot load it", path);
	/* Work on a copy: a file with an error changes nothing. */
	rc = ini_apply(&tmp, file, path, err, errlen);
	rte_cfgfile_close(file);
	if (rc == 0)
		*cfg = tmp;
	return rc;
}
