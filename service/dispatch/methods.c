/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "log.h"
#include "strmap.h"
#include "methods.h"
#include "util.h"

const Interface *const interfaces[] = {
        &connect_interface,
        &domain_interface,
        &snapshot_interface,
        &network_interface,
        &storage_pool_interface,
        &storage_vol_interface,
        &secret_interface,
        &node_device_interface,
        &interface_interface,
        &nwfilter_interface,
        &job_interface,
        NULL,
};

const Interface *interface_by_name(const char *name) {
        for (const Interface *const *i = interfaces; name && *i; i++)
                if (streq((*i)->name, name))
                        return *i;
        return NULL;
}

/* Rows by type and member, per interface: every call looks its row up. */
static StrMap *row_index[32];

static StrMap *index_of(const Interface *iface) {
        size_t i = 0;

        for (; interfaces[i] && interfaces[i] != iface; i++)
                ;
        if (!interfaces[i] || i >= ELEMENTSOF(row_index))
                return NULL;
        if (!row_index[i]) {
                row_index[i] = strmap_new(NULL);
                for (size_t r = 0; r < iface->nrows; r++) {
                        char key[256];
                        snprintf(key, sizeof(key), "%d%s", (int) iface->rows[r].type, iface->rows[r].member);
                        strmap_put(row_index[i], key, (void *) &iface->rows[r]);
                }
        }
        return row_index[i];
}

const Row *interface_row(const Interface *iface, RowType type, const char *member) {
        StrMap *idx;
        char key[256];

        if (!iface || !member || strlen(member) > 200)
                return NULL;
        idx = index_of(iface);
        if (idx) {
                snprintf(key, sizeof(key), "%d%s", (int) type, member);
                return strmap_get(idx, key);
        }
        for (size_t i = 0; i < iface->nrows; i++)
                if (iface->rows[i].type == type && streq(iface->rows[i].member, member))
                        return &iface->rows[i];
        return NULL;
}

/* The names string holds the argument names then the result names, each
 * NUL-terminated. */
static const char *nth_name(const char *names, unsigned n) {
        const char *p = names;

        for (unsigned i = 0; i < n && *p; i++)
                p += strlen(p) + 1;
        return p;
}

int row_flags_arg(const Row *row) {
        unsigned n = (unsigned) signature_count(row->in_sig);

        for (unsigned i = 0; i < n; i++)
                if (streq(nth_name(row->names, i), "flags") && signature_first_len(row->in_sig) > 0) {
                        const char *sig = row->in_sig;
                        for (unsigned j = 0; j < i; j++)
                                sig += signature_first_len(sig);
                        return sig[0] == 'u' ? (int) i : -1;
                }
        return -1;
}

static size_t count_names(const char *names) {
        size_t n = 0;

        for (const char *p = names; *p; p += strlen(p) + 1)
                n++;
        return n;
}

static bool fail(const Interface *iface, const Row *row, const char *why) {
        log_error("Method table: %s.%s: %s", iface->name, row->member, why);
        return false;
}

static bool validate_row(const Interface *iface, const Row *row) {
        unsigned ways;

        if (row->type == ROW_SIGNAL)
                return true;
        if (row->type == ROW_PROPERTY) {
                const Kind *k = kind_get(iface->kind);
                if (row->fact < 0 || (unsigned) row->fact >= k->nfacts)
                        return fail(iface, row, "no such fact");
                if (!streq(k->facts[row->fact].name, row->member) || !streq(k->facts[row->fact].sig, row->out_sig))
                        return fail(iface, row, "the property differs from the kind's fact");
                if (row->setter && (!streq(row->setter->in_sig, row->out_sig) || !row->setter->run))
                        return fail(iface, row, "the setter does not take the property's type");
                return true;
        }
        ways = !!row->shape + !!row->run + (row->loop && !row->run ? 1 : 0);
        if (ways != 1 && !(row->loop && row->run && !row->shape))
                return fail(iface, row, "needs exactly one way to run");
        if (row->shape && !shape_accepts(row->shape, row->in_sig, row->out_sig))
                return fail(iface, row, "its signature is not the one its shape reads and writes");
        if (signature_count(row->in_sig) > 8 || signature_count(row->out_sig) > WORK_MAX_OUT)
                return fail(iface, row, "too many arguments");
        if (signature_count(row->in_sig) + signature_count(row->out_sig) != count_names(row->names))
                return fail(iface, row, "argument names and signature differ");
        for (unsigned i = 0; i < ROW_MAX_PERMS; i++) {
                const Perm *p = &row->perms[i];
                if (p->object && p->when != WHEN_ALWAYS && p->when != WHEN_ARG_EQUALS && row_flags_arg(row) < 0)
                        return fail(iface, row, "a flag-dependent permission without a flags argument");
        }
        for (unsigned i = 0; i < ROW_MAX_CHECKS; i++)
                if (row->checks[i].type == CHECK_HOST_PATH_IF_FLAGS && row_flags_arg(row) < 0)
                        return fail(iface, row, "a flag-dependent host path without a flags argument");
        if (!(row->flags & ROW_JOB) != !row->job || (row->job_probe && !row->job))
                return fail(iface, row, "a job needs ROW_JOB and the name of its operation");
        if (row->job_disk_arg && (!row->job || row->job_disk_arg > (int) signature_count(row->in_sig) ||
                                  row->in_sig[0] != 's'))
                return fail(iface, row, "a block job's disk must be one of its string arguments");
        if ((row->flags & ROW_JOB) && !row_job_perm(row))
                return fail(iface, row, "a job needs a permission of its own object that always applies");
        if ((row->flags & ROW_JOB_PERM) && iface->kind != KIND_JOB)
                return fail(iface, row, "only jobs have a job's permission");
        return true;
}

const Perm *row_job_perm(const Row *row) {
        for (unsigned i = 0; i < ROW_MAX_PERMS; i++)
                if (row->perms[i].object && row->perms[i].when == WHEN_ALWAYS && row->perms[i].on_arg <= 0)
                        return &row->perms[i];
        return NULL;
}

bool table_validate(void) {
        for (const Interface *const *i = interfaces; *i; i++)
                for (size_t r = 0; r < (*i)->nrows; r++)
                        if (!validate_row(*i, &(*i)->rows[r]))
                                return false;
        return true;
}

/* libvirt writes permissions with '_' where polkit actions have '-'. */
static void print_name(FILE *f, const char *s) {
        for (; *s; s++)
                fputc(*s == '-' ? '_' : *s, f);
}

static void print_value_name(FILE *f, const char *s) {
        for (; *s; s++)
                if (*s != ' ' && *s != '(' && *s != ')')
                        fputc(*s, f);
}

static void print_perm(FILE *f, const Row *row, const Perm *p) {
        print_name(f, p->object);
        fputc(':', f);
        print_name(f, p->perm);
        switch (p->when) {
        case WHEN_ALWAYS:
                break;
        case WHEN_FLAGS_ALL:
                fputc(':', f);
                print_value_name(f, p->value_name);
                break;
        case WHEN_FLAGS_NONE:
                fputs(":!", f);
                print_value_name(f, p->value_name);
                break;
        case WHEN_ARG_EQUALS: {
                const char *name = nth_name(row->names, (unsigned) p->arg);
                fprintf(f, "::%s:", name);
                print_value_name(f, p->value_name);
                break;
        }
        }
}

static void print_perms(FILE *f, const Interface *iface, const Row *row, const Perm *perms, size_t n) {
        bool first = true;

        if (row->flags & ROW_JOB_PERM) {
                /* Decided per job: the permission of its operation. */
                fputs("job:operation", f);
                first = false;
        }

        for (size_t l = 0; l < 2; l++) {
                const Perm *list = l == 0 ? iface->implicit : perms;
                size_t size = l == 0 ? ELEMENTSOF(iface->implicit) : n;
                for (size_t i = 0; list && i < size; i++) {
                        if (!list[i].object)
                                continue;
                        if (!first)
                                fputs(" + ", f);
                        print_perm(f, row, &list[i]);
                        first = false;
                }
        }
}

static void print_checks(FILE *f, const Row *row) {
        bool first = true;

        for (size_t i = 0; i < ROW_MAX_CHECKS; i++) {
                const ArgCheck *k = &row->checks[i];
                const char *name = nth_name(row->names, (unsigned) (k->arg >= 0 ? k->arg : 0));
                if (k->type == CHECK_NONE)
                        continue;
                if (!first)
                        fputc(' ', f);
                first = false;
                switch (k->type) {
                case CHECK_XML:
                case CHECK_XML_OPTIONAL:
                        fprintf(f, "xml:%s", name);
                        break;
                case CHECK_OBJECT_XML:
                case CHECK_OBJECT_XML_OPTIONAL:
                        fprintf(f, "names-%s:%s", kind_get(k->kind)->name, name);
                        break;
                case CHECK_HOST_PATH:
                        fprintf(f, "host-path:%s", name);
                        break;
                case CHECK_HOST_PATH_IF_FLAGS:
                        fprintf(f, "host-path:%s:", name);
                        print_value_name(f, k->flags_name);
                        break;
                case CHECK_XML_HOST_PATHS:
                        fprintf(f, "xml:%s host-path-xml:%s", name, name);
                        break;
                default:
                        break;
                }
        }
}

/* Each argument as "<signature> <name>", joined with ", ": the names are
 * part of the contract the interface files document. Properties have
 * their type only. */
static void print_args(FILE *f, const Row *row, const char *sig, unsigned first) {
        unsigned n = (unsigned) signature_count(sig);

        for (unsigned i = 0; i < n; i++) {
                size_t len = signature_first_len(sig);
                fprintf(f, "%s%.*s", i ? ", " : "", (int) len, sig);
                if (row->type != ROW_PROPERTY)
                        fprintf(f, " %s", nth_name(row->names, first + i));
                sig += len;
        }
}

static void print_row(FILE *f, const Interface *iface, const Row *row, const char *kind, const Row *perms_of) {
        fprintf(f, "%s\t%s\t%s\t", iface->name, row->member, kind);
        if (row->type != ROW_PROPERTY)
                print_args(f, row, row->in_sig, 0);
        fputc('\t', f);
        if (row->type != ROW_SIGNAL)
                print_args(f, row, row->out_sig, (unsigned) signature_count(row->in_sig));
        fputc('\t', f);
        if (row->type != ROW_SIGNAL)
                print_perms(f, iface, perms_of, perms_of->perms, ROW_MAX_PERMS);
        if (perms_of->publish == PUBLISH_LOOKUP) {
                fputs(perms_of->perms[0].object ? " + " : "", f);
                print_name(f, kind_get(perms_of->finds)->name);
                fputs(":getattr", f);
        }
        fputc('\t', f);
        if (perms_of->filter.object)
                print_perm(f, perms_of, &perms_of->filter);
        fputc('\t', f);
        print_checks(f, perms_of);
        fprintf(f, "\t%s", perms_of->flags & ROW_CHANGE ? "change" : "");
        if (perms_of->flags & ROW_JOB)
                fprintf(f, "%sjob:%s", perms_of->flags & ROW_CHANGE ? " " : "", perms_of->job);
        fputc('\n', f);
}

void table_print(FILE *f) {
        fputs("# interface\tmember\tkind\tin\tout\tpermissions\tfilter\tchecks\tchange\n", f);
        for (const Interface *const *i = interfaces; *i; i++)
                for (size_t r = 0; r < (*i)->nrows; r++) {
                        const Row *row = &(*i)->rows[r];
                        switch (row->type) {
                        case ROW_METHOD:
                                print_row(f, *i, row, "method", row);
                                break;
                        case ROW_PROPERTY:
                                print_row(f, *i, row, "property-get", row);
                                if (row->setter)
                                        print_row(f, *i, row, "property-set", row->setter);
                                break;
                        case ROW_SIGNAL:
                                print_row(f, *i, row, "signal", row);
                                break;
                        }
                }
}
