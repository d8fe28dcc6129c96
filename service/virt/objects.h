/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the libvirt side knows about each object kind: how to hold, name,
 * read, look up and list its libvirt objects. Blocking calls: workers only
 * (reference counting and keys are local and safe anywhere). */

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdbool.h>

#include "kind.h"

typedef struct VirtKind {
        void (*ref)(void *h);
        void (*unref)(void *h);
        /* The key the tables use: UUID, volume key, device name, MAC. */
        char *(*key)(void *h);
        /* Reads every fact. Returns -1 with libvirt's error set. */
        int (*fetch)(void *h, Value *facts);
        void *(*lookup)(virConnectPtr c, const char *key);
        /* Every object of the kind; NULL where the daemon does not list
         * the kind. Returns the count or -1. */
        int (*list)(virConnectPtr c, void ***handles);
        /* libvirt's error code for "no such object". */
        int no_object;
} VirtKind;

const VirtKind *virt_kind(KindId k);
/* Whether the kind is served (listed, published, looked up) yet. */
bool virt_kind_served(KindId k);
/* For Space: drops the table's reference. */
void virt_free_handle(const Kind *k, void *handle);

/* Reads the facts of @h into @facts (cleared first). */
int virt_fetch(KindId k, void *h, Value *facts);
