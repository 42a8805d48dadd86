/*
 * NAME
 *	streamer_json.c - the small JSON the streamer reads and writes
 *
 * DESCRIPTION
 *	Viewers send flat JSON objects (login, WebSocket commands): string,
 *	number, true, false and null values, no nesting, at most 16 fields,
 *	strings up to 255 bytes. json_parse_obj refuses anything else; it
 *	reads untrusted input and is fuzzed (fuzz/fuzz_streamer_json.c).
 *	The jb_* functions build responses in a bounded growing buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "streamer.h"

static size_t
ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* A string at s[i] == '"' into out (cap bytes); returns the index after it or 0. */
static size_t
string(const char *s, size_t len, size_t i, char *out, size_t cap)
{
	size_t n = 0;

	if (i >= len || s[i] != '"')
		return 0;
	for (i++; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"') {
			out[n] = '\0';
			return i + 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (++i >= len)
				return 0;
			switch (s[i]) {
			case '"':
			case '\\':
			case '/': c = (unsigned char)s[i]; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				unsigned v = 0;
				int k;
				if (i + 4 >= len)
					return 0;
				for (k = 1; k <= 4; k++) {
					char h = s[i + k];
					v = v * 16 +
					    (unsigned)(h >= '0' && h <= '9'   ? h - '0'
						       : h >= 'a' && h <= 'f' ? h - 'a' + 10
						       : h >= 'A' && h <= 'F' ? h - 'A' + 10
									      : 99);
					if (v > 0xffff)
						return 0;
				}
				if (v == 0 || v > 0x7f)
					return 0; /* names, uuids and passwords here are ASCII */
				c = (unsigned char)v;
				i += 4;
				break;
			}
			default: return 0;
			}
		}
		if (n + 1 >= cap)
			return 0;
		out[n++] = (char)c;
	}
	return 0;
}

int
json_parse_obj(const char *s, size_t len, json_obj_t *o)
{
	size_t i = ws(s, len, 0), j;

	memset(o, 0, sizeof(*o));
	if (i >= len || s[i] != '{')
		return -EINVAL;
	i = ws(s, len, i + 1);
	if (i < len && s[i] == '}')
		return ws(s, len, i + 1) == len ? 0 : -EINVAL;
	for (;;) {
		json_field_t *f;
		if (o->n == JSON_MAX_FIELDS)
			return -EINVAL;
		f = &o->f[o->n];
		if ((j = string(s, len, i, f->key, sizeof(f->key))) == 0)
			return -EINVAL;
		i = ws(s, len, j);
		if (i >= len || s[i] != ':')
			return -EINVAL;
		i = ws(s, len, i + 1);
		if (i >= len)
			return -EINVAL;
		if (s[i] == '"') {
			if ((j = string(s, len, i, f->str, sizeof(f->str))) == 0)
				return -EINVAL;
			f->type = 's';
			i = j;
		} else if (len - i >= 4 && !memcmp(s + i, "true", 4)) {
			f->type = 'b';
			f->num = 1;
			i += 4;
		} else if (len - i >= 5 && !memcmp(s + i, "false", 5)) {
			f->type = 'b';
			i += 5;
		} else if (len - i >= 4 && !memcmp(s + i, "null", 4)) {
			f->type = 'z';
			i += 4;
		} else {
			char num[40], *end;
			size_t k = 0;
			while (i < len && k < sizeof(num) - 1 &&
			       strchr("0123456789+-.eE", s[i]) != NULL && s[i] != '\0')
				num[k++] = s[i++];
			num[k] = '\0';
			if (k == 0 || k == sizeof(num) - 1)
				return -EINVAL;
			f->num = strtod(num, &end);
			if (*end != '\0')
				return -EINVAL;
			f->type = 'n';
		}
		o->n++;
		i = ws(s, len, i);
		if (i < len && s[i] == ',') {
			i = ws(s, len, i + 1);
			continue;
		}
		if (i < len && s[i] == '}')
			return ws(s, len, i + 1) == len ? 0 : -EINVAL;
		return -EINVAL;
	}
}

const char *
json_str(const json_obj_t *o, const char *key)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (o->f[i].type == 's' && !strcmp(o->f[i].key, key))
			return o->f[i].str;
	return NULL;
}

int
json_num(const json_obj_t *o, const char *key, double *out)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (o->f[i].type == 'n' && !strcmp(o->f[i].key, key)) {
			*out = o->f[i].num;
			return 0;
		}
	return -ENOENT;
}

void
jb_init(json_buf_t *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
jb_free(json_buf_t *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
reserve(json_buf_t *b, size_t more)
{
	size_t ncap;
	char *p;

	if (b->err)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 1024;
	while (ncap < b->len + more + 1)
		ncap *= 2;
	if (ncap > b->max || (p = realloc(b->p, ncap)) == NULL) {
		b->err = 1;
		return -1;
	}
	b->p = p;
	b->cap = ncap;
	return 0;
}

void
jb_printf(json_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
jb_str(json_buf_t *b, const char *s)
{
	jb_printf(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			jb_printf(b, "\\%c", c);
		else if (c < 0x20)
			jb_printf(b, "\\u%04x", c);
		else
			jb_printf(b, "%c", c);
	}
	jb_printf(b, "\"");
}
