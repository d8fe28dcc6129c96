/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "objects.h"
#include "paths.h"
#include "util.h"
#include "work.h"

void work_fail(Work *w) {
        w->r = -1;
        virResetError(&w->err);
        if (virCopyLastError(&w->err) <= 0 || w->err.code == VIR_ERR_OK)
                work_fail_msg(w, VIR_ERR_INTERNAL_ERROR, "libvirt call failed without an error");
}

void work_fail_msg(Work *w, int code, const char *fmt, ...) {
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        virResetError(&w->err);
        w->r = -1;
        w->err.code = code;
        w->err.domain = VIR_FROM_NONE;
        w->err.level = VIR_ERR_ERROR;
        w->err.message = msg;
}

void work_need_perm(Work *w, const char *object, const char *perm, const Details *details) {
        WorkPerm *p;

        w->perms = xrealloc(w->perms, sizeof(WorkPerm) * (w->nperms + 1));
        p = &w->perms[w->nperms++];
        memset(p, 0, sizeof(*p));
        p->object = object;
        p->perm = perm;
        details_copy(&p->details, details);
}

void work_perms_free(WorkPerm *perms, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                details_clear(&perms[i].details);
        free(perms);
}

void work_clear_results(Work *w) {
        value_clear_many(w->out, WORK_MAX_OUT);
        details_clear(&w->details);
        work_perms_free(w->perms, w->nperms);
        w->perms = NULL;
        w->nperms = 0;
        virResetError(&w->err);
        w->r = 0;
        if (w->have_after)
                facts_clear(kind_get(w->kind), w->after);
        w->have_after = w->gone_after = false;
        if (w->found)
                virt_kind(w->found_kind)->unref(w->found);
        /* The facts stay when the object was handed to the table. */
        if (w->found_key)
                facts_clear(kind_get(w->found_kind), w->found_facts);
        w->found = NULL;
        free(w->found_key);
        w->found_key = NULL;
}

void work_read_elsewhere(Work *w) {
        const VirtKind *vk = virt_kind(w->kind);
        _cleanup_free_ char *key = NULL;

        if (!w->nelsewhere || !w->handle || !vk || !vk->lookup || !(key = vk->key(w->handle)))
                return;
        for (unsigned i = 0; i < w->nelsewhere; i++) {
                WorkElsewhere *e = &w->elsewhere[i];
                void *h = vk->lookup(e->vconn, key);
                if (!h)
                        continue;
                if (virt_fetch(w->kind, h, e->facts) == 0) {
                        e->found = true;
                        e->handle = h;
                } else
                        vk->unref(h);
        }
        virResetLastError();
}

void work_elsewhere_free(Work *w) {
        for (unsigned i = 0; i < w->nelsewhere; i++) {
                WorkElsewhere *e = &w->elsewhere[i];
                if (e->found)
                        facts_clear(kind_get(w->kind), e->facts);
                if (e->handle)
                        virt_kind(w->kind)->unref(e->handle);
                if (e->vconn)
                        virConnectClose(e->vconn);
        }
        free(w->elsewhere);
        w->elsewhere = NULL;
        w->nelsewhere = 0;
}

const Value *work_arg(const Work *w, unsigned i) {
        if (i >= w->nin)
                abort(); /* a row reading an argument its signature lacks */
        return &w->in[i];
}

const char *work_str(const Work *w, unsigned i) {
        return value_get_str(work_arg(w, i));
}

const char *work_str_or_null(const Work *w, unsigned i) {
        return empty_to_null(work_str(w, i));
}

uint32_t work_u32(const Work *w, unsigned i) {
        return value_get_u32(work_arg(w, i));
}

int32_t work_i32(const Work *w, unsigned i) {
        return value_get_i32(work_arg(w, i));
}

uint64_t work_u64(const Work *w, unsigned i) {
        return value_get_u64(work_arg(w, i));
}

int64_t work_i64(const Work *w, unsigned i) {
        return value_get_i64(work_arg(w, i));
}

int work_found(Work *w, KindId kind, void *handle, unsigned out) {
        const VirtKind *vk = virt_kind(kind);

        if (!handle) {
                work_fail(w);
                return -1;
        }
        if (w->found)
                virt_kind(w->found_kind)->unref(w->found);
        if (w->found_key) {
                facts_clear(kind_get(w->found_kind), w->found_facts);
                free(w->found_key);
        }
        w->found_kind = kind;
        w->found = handle;
        w->found_key = vk->key(handle);
        if (!w->found_key || virt_fetch(kind, handle, w->found_facts) < 0) {
                virErrorPtr e = virGetLastError();
                if (e && e->code != VIR_ERR_OK)
                        work_fail(w);
                else
                        work_fail_msg(w, vk->no_object, "The object vanished while being looked up");
                return -1;
        }
        value_clear(&w->out[out]);
        w->out[out] = value_take_path(path_for_key(w->prefix[kind], w->found_key, kind_get(kind)->uuid_keys));
        return 0;
}

int work_params_get(Work *w, unsigned out, work_params_get_t get) {
        virTypedParameterPtr p;
        int n = 0;

        if (get(w, NULL, &n) < 0)
                return -1;
        p = xmalloc0(sizeof(*p) * (size_t) (n ? n : 1));
        if (n > 0 && get(w, p, &n) < 0) {
                free(p);
                return -1;
        }
        value_clear(&w->out[out]);
        w->out[out] = value_take_params(typed_params_copy(p, n), n);
        virTypedParamsClear(p, n);
        free(p);
        return 0;
}
