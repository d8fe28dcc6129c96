/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The method table. Every member of every interface is one declarative
 * row: its name and argument signatures with names, every polkit
 * permission it needs (with the flag- and argument-dependent ones, as
 * libvirt's own access control has them), what its arguments are (XML to
 * check, a host path, the XML of an object to be made), whether it changes
 * its object, and how it runs: a call shape naming the libvirt function, a
 * worker function of its own, or an answer from the tables.
 *
 * From the rows come the sd-bus vtables (bus/vtable.c), the introspection,
 * the authorization of every call (dispatch/access.c), the parsing of
 * arguments and the building of replies by signature (dispatch/marshal.c).
 * tests/test-table.c holds them equal to the files in interfaces/, to the
 * polkit policy's actions, to libvirt's own permissions and to
 * docs/authorization.md. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "kind.h"
#include "shapes.h"
#include "work.h"

typedef struct Call Call;

typedef enum PermWhen {
        WHEN_ALWAYS,
        WHEN_FLAGS_ALL,         /* the flags argument has all of @value */
        WHEN_FLAGS_NONE,        /* the flags argument has none of @value */
        WHEN_ARG_EQUALS,        /* argument @arg equals @value */
} PermWhen;

typedef struct Perm {
        const char *object;     /* polkit object: "domain", "connect", "storage-vol"... */
        const char *perm;       /* "start", "read-secure"...: org.libvirt.dbus.<object>.<perm> */
        PermWhen when;
        uint64_t value;
        int arg;
        const char *value_name; /* the flags or value as written, for the printed table */
        /* 1 + the argument that names (by key) the object this permission
         * is about, when it is not the call's own (the source volume of a
         * copy); 0 for the call's object. */
        int on_arg;
} Perm;

#define PERM(obj, p) { obj, p, WHEN_ALWAYS, 0, -1, NULL }
#define PERM_IF_FLAGS(obj, p, f) { obj, p, WHEN_FLAGS_ALL, (f), -1, #f }
#define PERM_UNLESS_FLAGS(obj, p, f) { obj, p, WHEN_FLAGS_NONE, (f), -1, #f }
#define PERM_IF_ARG(obj, p, i, v) { obj, p, WHEN_ARG_EQUALS, (v), (i), #v }
/* About the object whose key argument @i names, with its own details. */
#define PERM_ON_ARG(obj, p, i) { obj, p, WHEN_ALWAYS, 0, -1, NULL, (i) + 1 }
/* libvirt's rule for calls that may change the persistent definition:
 * "save" unless only the live domain is affected. */
#define PERMS_AFFECT(obj) PERM(obj, "write"), \
        PERM_UNLESS_FLAGS(obj, "save", VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_AFFECT_LIVE), \
        PERM_IF_FLAGS(obj, "save", VIR_DOMAIN_AFFECT_CONFIG)

#define ROW_MAX_PERMS 5

typedef enum CheckType {
        CHECK_NONE,
        CHECK_XML,              /* well-formed XML, line and column in the error */
        CHECK_XML_OPTIONAL,     /* the same, "" allowed (libvirt's "none") */
        CHECK_OBJECT_XML,       /* XML of an object of @kind to be made: names it for polkit */
        CHECK_OBJECT_XML_OPTIONAL,
        CHECK_HOST_PATH,        /* a host path libvirtd opens as root: canonical, allowed, a detail */
        CHECK_HOST_PATH_IF_FLAGS, /* the same when the flags argument has all of @flags */
        CHECK_XML_HOST_PATHS,   /* XML whose <source> elements name host paths: each as CHECK_HOST_PATH */
} CheckType;

typedef struct ArgCheck {
        CheckType type;
        int arg;
        const char *what;       /* for error texts: "Domain XML" */
        KindId kind;
        uint64_t flags;
        const char *flags_name; /* the flags as written, for the printed table */
} ArgCheck;

#define XML_ARG(i, what) { CHECK_XML, (i), what, 0 }
#define XML_ARG_OPTIONAL(i, what) { CHECK_XML_OPTIONAL, (i), what, 0 }
#define OBJECT_XML_ARG(i, k, what) { CHECK_OBJECT_XML, (i), what, (k) }
#define OBJECT_XML_ARG_OPTIONAL(i, k, what) { CHECK_OBJECT_XML_OPTIONAL, (i), what, (k) }
#define HOST_PATH_ARG(i) { CHECK_HOST_PATH, (i), "Path", 0 }
/* An argument that is a host path only with some flags (a block rebase
 * that copies to a new file). */
#define HOST_PATH_ARG_IF_FLAGS(i, f) { CHECK_HOST_PATH_IF_FLAGS, (i), "Path", 0, (f), #f }
/* XML that names host files libvirtd will write (a block copy's target). */
#define XML_HOST_PATHS_ARG(i, what) { CHECK_XML_HOST_PATHS, (i), what, 0 }

#define ROW_MAX_CHECKS 3

typedef enum RowType {
        ROW_METHOD,
        ROW_PROPERTY,
        ROW_SIGNAL,
} RowType;

enum {
        /* Changes its object: such calls run one at a time per object, in
         * arrival order, and the reply waits for the events that announce
         * the change. */
        ROW_CHANGE = 1u << 0,
        /* Answered from the tables even while the connection is down. */
        ROW_ANY_STATE = 1u << 1,
        /* A read that may take long (it must not share the change lane). */
        ROW_SLOW = 1u << 2,
        /* A long operation: while it runs it is published as an
         * org.libvirt.Job (.job names the operation). */
        ROW_JOB = 1u << 3,
        /* Acts on a job, and needs what canceling that job's operation
         * needs (Job.Cancel). */
        ROW_JOB_PERM = 1u << 4,
        /* Moves its object to another host (a migration): the reply also
         * waits until the daemon's other connections show the object
         * where it arrived, and a source it left without an event is
         * read back from libvirt. */
        ROW_MIGRATES = 1u << 5,
};

/* What the reply makes known first. */
typedef enum Publish {
        PUBLISH_NONE,
        /* An object the call found or made (work_found()): in the table
         * before the reply names it. Lookups must also let the caller see
         * it, else the reply is the kind's "not found". */
        PUBLISH_FOUND,
        PUBLISH_LOOKUP,
} Publish;

typedef struct Row {
        const char *member;
        RowType type;
        const char *in_sig;
        const char *out_sig;
        /* Argument then result names, each "name\0", then "\0": sd-bus's format. */
        const char *names;
        Perm perms[ROW_MAX_PERMS];
        /* Lists: each object in the answer needs this permission too
         * (libvirt's aclfilter). */
        Perm filter;
        ArgCheck checks[ROW_MAX_CHECKS];
        unsigned flags;
        Publish publish;
        /* How it runs: a shape and its libvirt function, a worker function
         * of its own, or a function on the loop thread that answers from
         * the tables. Exactly one. */
        const Shape *shape;
        ShapeFn fn;
        int (*run)(Work *w);
        /* Answers from the tables; returns 1 to go to the worker function
         * instead (a case the tables cannot judge). */
        int (*loop)(Call *c, sd_bus_error *error);
        /* Checks of the arguments beyond their types, before anything is
         * asked of polkit or libvirt. */
        int (*check)(Call *c, sd_bus_error *error);
        /* On a worker before authorization: reads what polkit's details
         * need from libvirt (the domain a save image holds) into
         * Work.details. Only for arguments already found acceptable. */
        int (*resolve)(Work *w);
        /* On the loop after the worker: trims results to what the caller
         * may see (lists libvirt made). */
        int (*finish)(Call *c, sd_bus_error *error);
        /* Lookups: what a hidden or missing object answers, formatted with
         * the first argument (libvirt's own text for a missing one). */
        const char *not_found;
        /* The argument the text names (the usage id of SecretLookupByUsage);
         * a second %s takes the argument after it. */
        int not_found_arg;
        /* Lookups: the kind of what they find, which the caller must be
         * allowed to see (getattr). */
        KindId finds;
        /* Properties: the fact shown, and for a writable one the row that
         * sets it (its permissions and its worker function). */
        int fact;
        const struct Row *setter;
        /* ROW_JOB: the operation, in libvirt's words where libvirt has
         * them ("save", "restore", "snapshot-revert"...). */
        const char *job;
        /* ROW_JOB, when only some of its calls are long (a Create that
         * resumes from a managed save image): on a worker, with the
         * object's turn held, whether this one is. */
        bool (*job_probe)(Work *w);
        /* ROW_JOB: a block job, which libvirt runs on after the call
         * returns, until its BLOCK_JOB event for the disk that argument
         * @job_disk_arg - 1 names (0: not a block job). */
        int job_disk_arg;
} Row;

typedef struct Interface {
        const char *name;
        KindId kind;            /* the kind of the objects that have it */
        bool sub;               /* on sub-objects (snapshots of a domain) */
        /* GetAll wraps each value once, as the D-Bus specification says:
         * interfaces of virtbusd's own, which no libvirt-dbus client reads
         * with two layers of variants. */
        bool spec_getall;
        /* Every member needs these besides its own (a snapshot is looked
         * up by name: domain read). */
        Perm implicit[2];
        const Row *rows;
        size_t nrows;
} Interface;

/* Every interface, NULL-terminated. */
extern const Interface *const interfaces[];
extern const Interface connect_interface, domain_interface, snapshot_interface, network_interface,
        storage_pool_interface, storage_vol_interface, secret_interface, node_device_interface,
        interface_interface, nwfilter_interface, job_interface;

const Interface *interface_by_name(const char *name);
const Row *interface_row(const Interface *iface, RowType type, const char *member);
/* The index of the argument named "flags", or -1. */
int row_flags_arg(const Row *row);
/* Prints the method table, one row per line, tab-separated: interface,
 * member, kind (method, property-get, property-set, signal), arguments
 * and results ("s xml, u flags"; a property's type alone), permissions in libvirt's notation (object:permission,
 * object:permission:FLAGS when all of FLAGS are set, :!FLAGS when none
 * is, ::arg:VALUE when an argument has a value; joined with " + ";
 * job:operation where a job's operation decides), the filter of lists, the
 * argument checks, and "change" for rows that change their object, then
 * "job:OPERATION" for rows that run as jobs. The documentation and its
 * tests are held to it. */
void table_print(FILE *f);

/* The permission a ROW_JOB row's job is canceled with: its first one about
 * its own object that always applies (the operation's own). */
const Perm *row_job_perm(const Row *row);

/* Checks every row against its shape and the kinds' facts; logs and
 * returns false on the first mismatch (a bug: the daemon refuses to run). */
bool table_validate(void);

#define _ROW_SIG(...) _SD_VARARGS_FOREACH_EVEN(_SD_ECHO, __VA_ARGS__)
#define _ROW_NAMES(...) _SD_VARARGS_FOREACH_ODD(_SD_CONCAT, __VA_ARGS__)
#define ARGS(...) __VA_ARGS__
/* The argument that names a block job's disk, by index. */
#define JOB_DISK_ARG(i) ((i) + 1)
#define RESULT(...) __VA_ARGS__
#define NO_ARGS ""
#define NO_RESULT ""

/* METHOD("Create", ARGS("u", flags), NO_RESULT, .perms = {...}, ...) */
#define METHOD(name, in, out, ...)                                             \
        { .member = name, .type = ROW_METHOD,                                   \
          .in_sig = "" _ROW_SIG(in), .out_sig = "" _ROW_SIG(out),               \
          .names = _ROW_NAMES(in) _ROW_NAMES(out) "\0", .fact = -1,             \
          __VA_ARGS__ }
#define SIGNAL(name, args)                                                     \
        { .member = name, .type = ROW_SIGNAL, .in_sig = "" _ROW_SIG(args),      \
          .out_sig = "", .names = _ROW_NAMES(args) "\0", .fact = -1 }
#define SIGNAL_NO_ARGS(name)                                                   \
        { .member = name, .type = ROW_SIGNAL, .in_sig = "", .out_sig = "",     \
          .names = "\0", .fact = -1 }
/* PROPERTY("Active", DOM_ACTIVE, "b", .perms = {...}) */
#define PROPERTY(name, index, sig, ...)                                        \
        { .member = name, .type = ROW_PROPERTY, .in_sig = "", .out_sig = sig,  \
          .names = "\0", .fact = (index), __VA_ARGS__ }

/* Shapes: the compiler checks the function's type against the shape. */
#define SHAPE(s, field, f) .shape = &shape_##s, .fn = { .field = (f) }
#define DOM_VOID(f) SHAPE(dom_void, dom_void, f)
#define DOM_FLAGS(f) SHAPE(dom_flags, dom_flags, f)
#define DOM_STRING(f) SHAPE(dom_string, dom_string, f)
#define DOM_INT(f) SHAPE(dom_int, dom_int, f)
#define DOM_PARAMS_GET(f) SHAPE(dom_params_get, dom_params_get, f)
#define DOM_PARAMS_SET(f) SHAPE(dom_params_set, dom_params_set, f)
#define DOM_STR_PARAMS_GET(f) SHAPE(dom_str_params_get, dom_str_params_get, f)
#define DOM_STR_PARAMS_SET(f) SHAPE(dom_str_params_set, dom_str_params_set, f)
#define DOM_STR_FLAGS(f) SHAPE(dom_str_flags, dom_str_flags, f)
#define DOM_UINT_FLAGS(f) SHAPE(dom_uint_flags, dom_uint_flags, f)
#define DOM_ULL_FLAGS(f) SHAPE(dom_ull_flags, dom_ull_flags, f)
#define DOM_ULL_OUT(f) SHAPE(dom_ull_out, dom_ull_out, f)
#define SNAP_FLAGS(f) SHAPE(snap_flags, snap_flags, f)
#define SNAP_STRING(f) SHAPE(snap_string, snap_string, f)
#define SNAP_INT(f) SHAPE(snap_int, snap_int, f)
#define CONN_STRING(f) SHAPE(conn_string, conn_string, f)
#define CONN_FLAGS(f) SHAPE(conn_flags, conn_flags, f)
#define NET_VOID(f) SHAPE(net_void, net_void, f)
#define NET_FLAGS(f) SHAPE(net_flags, net_flags, f)
#define NET_STRING(f) SHAPE(net_string, net_string, f)
#define POOL_VOID(f) SHAPE(pool_void, pool_void, f)
#define POOL_FLAGS(f) SHAPE(pool_flags, pool_flags, f)
#define POOL_STRING(f) SHAPE(pool_string, pool_string, f)
#define VOL_FLAGS(f) SHAPE(vol_flags, vol_flags, f)
#define VOL_STRING(f) SHAPE(vol_string, vol_string, f)
#define SECRET_VOID(f) SHAPE(secret_void, secret_void, f)
#define SECRET_STRING(f) SHAPE(secret_string, secret_string, f)
#define DEV_VOID(f) SHAPE(dev_void, dev_void, f)
#define DEV_STRING(f) SHAPE(dev_string, dev_string, f)
#define IFACE_VOID(f) SHAPE(iface_void, iface_void, f)
#define IFACE_FLAGS(f) SHAPE(iface_flags, iface_flags, f)
#define IFACE_STRING(f) SHAPE(iface_string, iface_string, f)
#define NWFILTER_VOID(f) SHAPE(nwfilter_void, nwfilter_void, f)
#define NWFILTER_STRING(f) SHAPE(nwfilter_string, nwfilter_string, f)

#define INTERFACE(var, iname, k, ...)                                          \
        const Interface var = { .name = iname, .kind = (k), __VA_ARGS__ }
#define ROWS(r) .rows = (r), .nrows = sizeof(r) / sizeof((r)[0])
