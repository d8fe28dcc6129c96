/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "methods.h"
#include "util.h"

const Interface *const interfaces[] = {
        &connect_interface,
        &domain_interface,
        &snapshot_interface,
        NULL,
};

const Interface *interface_by_name(const char *name) {
        for (const Interface *const *i = interfaces; name && *i; i++)
                if (streq((*i)->name, name))
                        return *i;
        return NULL;
}

const Row *interface_row(const Interface *iface, RowType type, const char *member) {
        for (size_t i = 0; iface && member && i < iface->nrows; i++)
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
        if (signature_count(row->in_sig) + signature_count(row->out_sig) !=
            (size_t) ({ unsigned n = 0; for (const char *p = row->names; *p; p += strlen(p) + 1) n++; n; }))
                return fail(iface, row, "argument names and signature differ");
        for (unsigned i = 0; i < ROW_MAX_PERMS; i++) {
                const Perm *p = &row->perms[i];
                if (p->object && p->when != WHEN_ALWAYS && p->when != WHEN_ARG_EQUALS && row_flags_arg(row) < 0)
                        return fail(iface, row, "a flag-dependent permission without a flags argument");
        }
        return true;
}

bool table_validate(void) {
        for (const Interface *const *i = interfaces; *i; i++)
                for (size_t r = 0; r < (*i)->nrows; r++)
                        if (!validate_row(*i, &(*i)->rows[r]))
                                return false;
        return true;
}
