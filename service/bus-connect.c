/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Connect: one object per libvirt connection. */
#include <fcntl.h>
#include <stdio.h>

#include "auth.h"
#include "bus.h"
#include "errors.h"
#include "log.h"
#include "util.h"
#include "xmlcheck.h"

static Job *connect_job(sd_bus_message *m, Connection *c, JobClass klass, const char *object,
                        const char *permission, job_run_t run, job_reply_t reply) {
        Job *j = job_new(c, m, klass, run, reply);

        j->object = object;
        j->permission = permission;
        return j;
}

static const char *empty_to_null(const char *s) {
        return s && *s ? s : NULL;
}

/* ---- domains ----------------------------------------------------------- */

/* Flags the domain table can answer; anything else goes to libvirt. */
#define TABLE_LIST_FLAGS (VIR_CONNECT_LIST_DOMAINS_ACTIVE | VIR_CONNECT_LIST_DOMAINS_INACTIVE | \
                          VIR_CONNECT_LIST_DOMAINS_PERSISTENT | VIR_CONNECT_LIST_DOMAINS_TRANSIENT | \
                          VIR_CONNECT_LIST_DOMAINS_RUNNING | VIR_CONNECT_LIST_DOMAINS_PAUSED | \
                          VIR_CONNECT_LIST_DOMAINS_SHUTOFF | VIR_CONNECT_LIST_DOMAINS_OTHER | \
                          VIR_CONNECT_LIST_DOMAINS_AUTOSTART | VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART)

static bool group_match(uint32_t flags, uint32_t group, uint32_t have) {
        return !(flags & group) || (flags & have);
}

static bool list_match(const DomainInfo *i, uint32_t f) {
        uint32_t state_bit;

        switch (i->state) {
        case VIR_DOMAIN_RUNNING: state_bit = VIR_CONNECT_LIST_DOMAINS_RUNNING; break;
        case VIR_DOMAIN_PAUSED: state_bit = VIR_CONNECT_LIST_DOMAINS_PAUSED; break;
        case VIR_DOMAIN_SHUTOFF: state_bit = VIR_CONNECT_LIST_DOMAINS_SHUTOFF; break;
        default: state_bit = VIR_CONNECT_LIST_DOMAINS_OTHER; break;
        }
        return group_match(f, VIR_CONNECT_LIST_DOMAINS_ACTIVE | VIR_CONNECT_LIST_DOMAINS_INACTIVE,
                           i->active ? VIR_CONNECT_LIST_DOMAINS_ACTIVE : VIR_CONNECT_LIST_DOMAINS_INACTIVE) &&
                group_match(f, VIR_CONNECT_LIST_DOMAINS_PERSISTENT | VIR_CONNECT_LIST_DOMAINS_TRANSIENT,
                            i->persistent ? VIR_CONNECT_LIST_DOMAINS_PERSISTENT
                                          : VIR_CONNECT_LIST_DOMAINS_TRANSIENT) &&
                group_match(f, VIR_CONNECT_LIST_DOMAINS_RUNNING | VIR_CONNECT_LIST_DOMAINS_PAUSED |
                               VIR_CONNECT_LIST_DOMAINS_SHUTOFF | VIR_CONNECT_LIST_DOMAINS_OTHER,
                            state_bit) &&
                group_match(f, VIR_CONNECT_LIST_DOMAINS_AUTOSTART | VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART,
                            i->autostart ? VIR_CONNECT_LIST_DOMAINS_AUTOSTART
                                         : VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART);
}

static int reply_list_from_table(Job *j, sd_bus_message *reply) {
        DomainTable *t = j->conn->domains;
        size_t b = 0;
        int r = sd_bus_message_open_container(reply, 'a', "o");

        for (DomainNode *n = domain_table_next(t, &b, NULL); r >= 0 && n; n = domain_table_next(t, &b, n)) {
                DomainEntry *e = (DomainEntry *) n;
                if (list_match(&n->info, j->u[0]) && auth_list_may_see(j->msg, e))
                        r = sd_bus_message_append_basic(reply, 'o', e->path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static void run_list_domains(Job *j) {
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(j->vconn, &doms, j->u[0]);
        char **uuids;

        if (n < 0)
                return job_fail(j);
        uuids = xmalloc0(sizeof(char *) * (size_t) (n + 1));
        for (int i = 0; i < n; i++) {
                uuids[i] = xmalloc0(UUID_STRING_LEN + 1);
                virDomainGetUUIDString(doms[i], uuids[i]);
                virDomainFree(doms[i]);
        }
        free(doms);
        j->out_strv = uuids;
}

static int reply_list_from_libvirt(Job *j, sd_bus_message *reply) {
        int r = sd_bus_message_open_container(reply, 'a', "o");

        for (char **u = j->out_strv; r >= 0 && u && *u; u++) {
                DomainEntry *e = conn_domain_get(j->conn, *u);
                if (!auth_list_may_see(j->msg, e))
                        continue;
                _cleanup_free_ char *path = path_for_uuid(j->conn->dom_prefix, *u);
                r = sd_bus_message_append_basic(reply, 'o', path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_list_domains(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Connection *c = userdata;
        uint32_t flags;
        Job *j;
        int r;

        r = sd_bus_message_read(m, "u", &flags);
        if (r < 0)
                return r;
        /* The table answers without a libvirt round trip when it can. */
        if ((flags & ~TABLE_LIST_FLAGS) == 0)
                j = connect_job(m, c, JOB_QUERY, "connect", "search-domains", NULL, reply_list_from_table);
        else
                j = connect_job(m, c, JOB_QUERY, "connect", "search-domains", run_list_domains,
                                reply_list_from_libvirt);
        j->u[0] = flags;
        j->list_all = true;
        return job_start(j, error);
}

/* Lookups and creations end in a virDomainPtr; its facts are read on the
 * worker so the loop thread can publish the object before replying. */
static void finish_found(Job *j, virDomainPtr dom) {
        if (!dom)
                return job_fail(j);
        j->out_dom = dom;
        job_capture_after(j, dom);
        if (!j->have_after)
                return job_fail_msg(j, VIR_ERR_NO_DOMAIN, "Domain vanished while being looked up");
        j->r = 0;
}

static int reply_found_path(Job *j, sd_bus_message *reply) {
        if (!auth_list_may_see(j->msg, conn_domain_get(j->conn, j->uuid))) {
                /* Indistinguishable from a domain that does not exist. */
                return -ENOENT;
        }
        return reply_domain_path(j, reply);
}

static void run_lookup_id(Job *j) {
        finish_found(j, virDomainLookupByID(j->vconn, j->i[0]));
}

static void run_lookup_name(Job *j) {
        finish_found(j, virDomainLookupByName(j->vconn, j->s[0]));
}

static void run_lookup_uuid(Job *j) {
        finish_found(j, virDomainLookupByUUIDString(j->vconn, j->s[0]));
}

/* The domain table knows every domain's name, UUID and id: a lookup of a
 * known domain needs no libvirt round trip. Only misses go to libvirt, for
 * its own error. */
static DomainEntry *table_lookup(Connection *c, char type, int32_t id, const char *s) {
        size_t b = 0;

        if (type == 'u')
                return conn_domain_get(c, s);
        for (DomainNode *n = domain_table_next(c->domains, &b, NULL); n; n = domain_table_next(c->domains, &b, n))
                if (type == 'i' ? n->info.active && n->info.id == (uint32_t) id : streq_ptr(n->info.name, s))
                        return (DomainEntry *) n;
        return NULL;
}

static int reply_lookup_from_table(Job *j, sd_bus_message *reply) {
        /* Looked up again: the table may have moved while polkit answered. */
        DomainEntry *e = table_lookup(j->conn, (char) j->u[1], j->i[0], j->s[0]);

        if (!e)
                return -ENOENT;
        memcpy(j->uuid, e->node.info.uuid, sizeof(j->uuid));
        return reply_found_path(j, reply);
}

static int lookup(sd_bus_message *m, Connection *c, sd_bus_error *error, job_run_t run, char type) {
        Job *j = connect_job(m, c, JOB_QUERY, "connect", "search-domains", run, reply_found_path);
        int r;

        if (type == 'i') {
                /* Ids of running domains start at 1; 0 means none. */
                r = sd_bus_message_read(m, "i", &j->i[0]);
                j->not_found = xasprintf("Domain not found: no domain with matching id %d", j->i[0]);
        } else {
                const char *s;
                r = sd_bus_message_read(m, "s", &s);
                j->s[0] = r >= 0 ? xstrdup(s) : NULL;
                if (r >= 0)
                        j->not_found = xasprintf("Domain not found: no domain with matching %s '%s'",
                                                 run == run_lookup_name ? "name" : "uuid", s);
        }
        if (r >= 0 && table_lookup(c, type, j->i[0], j->s[0])) {
                j->run = NULL;
                j->reply = reply_lookup_from_table;
                j->u[1] = (uint32_t) type;
        } else
                j->apply = apply_domain_found;
        /* Learn what the caller may see first, so the reply can say "no
         * such domain" for one it may not. */
        j->list_all = true;
        return job_start_parsed(j, r, error);
}

static int method_lookup_by_id(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return lookup(m, userdata, error, run_lookup_id, 'i');
}

static int method_lookup_by_name(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return lookup(m, userdata, error, run_lookup_name, 's');
}

static int method_lookup_by_uuid(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return lookup(m, userdata, error, run_lookup_uuid, 'u');
}

static void run_define(Job *j) {
        finish_found(j, virDomainDefineXML(j->vconn, j->s[0]));
}

static void run_create(Job *j) {
        finish_found(j, virDomainCreateXML(j->vconn, j->s[0], j->u[0]));
}

static void run_create_with_files(Job *j) {
        finish_found(j, virDomainCreateXMLWithFiles(j->vconn, j->s[0], j->nfds, j->fds, j->u[0]));
}

/* Reads the XML and names the domain for polkit before libvirt sees it. */
static Job *domain_xml_job(sd_bus_message *m, Connection *c, const char *permission, job_run_t run,
                           sd_bus_error *error, int *ret) {
        Job *j = connect_job(m, c, JOB_CHANGE, "domain", permission, run, reply_domain_path);

        *ret = bus_read_domain_xml(m, j, &j->s[0], error);
        if (*ret < 0)
                return job_free(j);
        j->apply = apply_domain_found;
        return j;
}

static int read_fds(sd_bus_message *m, Job *j) {
        int r = sd_bus_message_enter_container(m, 'a', "h");
        int fd;

        if (r < 0)
                return r;
        while ((r = sd_bus_message_read_basic(m, 'h', &fd)) > 0) {
                int *nf = realloc(j->fds, sizeof(int) * (j->nfds + 1));
                if (!nf)
                        abort();
                j->fds = nf;
                /* The message owns its descriptors; libvirt gets copies. */
                j->fds[j->nfds] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (j->fds[j->nfds] < 0)
                        return -errno;
                j->nfds++;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int method_define_xml(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        int r;
        Job *j = domain_xml_job(m, userdata, "write", run_define, error, &r);

        return j ? job_start(j, error) : r;
}

static int method_create_xml(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        int r;
        Job *j = domain_xml_job(m, userdata, "start", run_create, error, &r);

        if (!j)
                return r;
        r = sd_bus_message_read(m, "u", &j->u[0]);
        return job_start_parsed(j, r, error);
}

static int method_create_xml_with_files(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        int r;
        Job *j = domain_xml_job(m, userdata, "start", run_create_with_files, error, &r);

        if (!j)
                return r;
        r = read_fds(m, j);
        if (r >= 0)
                r = sd_bus_message_read(m, "u", &j->u[0]);
        return job_start_parsed(j, r, error);
}

static void run_restore(Job *j) {
        _cleanup_free_ char *image_xml = NULL, *uuid = NULL;
        virDomainPtr dom;

        test_delay();
        /* Which domain the image holds, so the reply can wait for its
         * state to be announced like any other change. */
        image_xml = virDomainSaveImageGetXMLDesc(j->vconn, j->s[0], 0);
        if (image_xml) {
                _cleanup_free_ char *name = NULL;
                if (xml_check_domain(image_xml, "Save image XML", NULL, &name, &uuid) < 0)
                        uuid = NULL;
        }
        virResetLastError();
        if (virDomainRestoreFlags(j->vconn, j->s[0], empty_to_null(j->s[1]), j->u[0]) < 0)
                return job_fail(j);
        j->r = 0;
        if (!uuid || strlen(uuid) != UUID_STRING_LEN || !(dom = virDomainLookupByUUIDString(j->vconn, uuid))) {
                virResetLastError();
                return;
        }
        job_capture_after(j, dom);
        j->out_dom = dom;
}

static int method_domain_restore(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = connect_job(m, userdata, JOB_CHANGE, "domain", "start", run_restore, NULL);
        const char *from, *xml;
        int r;

        r = sd_bus_message_read(m, "ss", &from, &xml);
        if (r >= 0 && *xml)
                r = xml_check_domain(xml, "Domain XML", error, &j->dom_name, &j->xml_uuid);
        if (r >= 0)
                r = sd_bus_message_read(m, "u", &j->u[0]);
        if (r < 0) {
                job_free(j);
                return r;
        }
        j->s[0] = xstrdup(from);
        j->s[1] = xstrdup(xml);
        j->apply = apply_domain_found;
        return job_start(j, error);
}

static void run_save_image_get_xml(Job *j) {
        j->out_s = virDomainSaveImageGetXMLDesc(j->vconn, j->s[0], j->u[0]);
        if (!j->out_s)
                return job_fail(j);
        j->r = 0;
}

static int method_save_image_get_xml(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        /* libvirt reads any file the caller names, as root: never "read". */
        Job *j = connect_job(m, userdata, JOB_QUERY, "domain", "read-secure", run_save_image_get_xml,
                             reply_string);
        const char *file;
        int r;

        r = sd_bus_message_read(m, "su", &file, &j->u[0]);
        if (r < 0) {
                job_free(j);
                return r;
        }
        j->s[0] = xstrdup(file);
        return job_start(j, error);
}

static void run_save_image_define(Job *j) {
        if (virDomainSaveImageDefineXML(j->vconn, j->s[0], j->s[1], j->u[0]) < 0)
                return job_fail(j);
        j->r = 0;
}

static int method_save_image_define(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = connect_job(m, userdata, JOB_CHANGE, "domain", "write", run_save_image_define, NULL);
        const char *file;
        int r;

        r = sd_bus_message_read(m, "s", &file);
        if (r >= 0)
                r = bus_read_domain_xml(m, j, &j->s[1], error);
        if (r >= 0)
                r = sd_bus_message_read(m, "u", &j->u[0]);
        if (r < 0) {
                job_free(j);
                return r;
        }
        j->s[0] = xstrdup(file);
        return job_start(j, error);
}

/* ---- host information -------------------------------------------------- */

static void run_get_capabilities(Job *j) {
        j->out_s = virConnectGetCapabilities(j->vconn);
        j->r = j->out_s ? 0 : -1;
        if (j->r < 0)
                job_fail(j);
}

static int method_get_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return job_start(connect_job(m, userdata, JOB_QUERY, "connect", "read", run_get_capabilities,
                                     reply_string), error);
}

static void run_get_domain_capabilities(Job *j) {
        j->out_s = virConnectGetDomainCapabilities(j->vconn, empty_to_null(j->strv[0]),
                                                   empty_to_null(j->strv[1]), empty_to_null(j->strv[2]),
                                                   empty_to_null(j->strv[3]), j->u[0]);
        if (!j->out_s)
                return job_fail(j);
        j->r = 0;
}

static int method_get_domain_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        /* libvirt runs the emulator binary the caller names. */
        Job *j = connect_job(m, userdata, JOB_QUERY, "connect", "write", run_get_domain_capabilities,
                             reply_string);
        const char *a, *b, *c, *d;
        int r;

        r = sd_bus_message_read(m, "ssssu", &a, &b, &c, &d, &j->u[0]);
        if (r < 0) {
                job_free(j);
                return r;
        }
        j->strv = xmalloc0(sizeof(char *) * 5);
        j->strv[0] = xstrdup(a);
        j->strv[1] = xstrdup(b);
        j->strv[2] = xstrdup(c);
        j->strv[3] = xstrdup(d);
        return job_start(j, error);
}

static void run_get_sysinfo(Job *j) {
        j->out_s = virConnectGetSysinfo(j->vconn, j->u[0]);
        if (!j->out_s)
                return job_fail(j);
        j->r = 0;
}

static int method_get_sysinfo(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return flags_only_job(m, connect_job(m, userdata, JOB_QUERY, "connect", "read", run_get_sysinfo,
                                         reply_string), error);
}

static void run_get_cpu_model_names(Job *j) {
        char **models = NULL;
        int n = virConnectGetCPUModelNames(j->vconn, j->s[0], &models, j->u[0]);

        if (n < 0)
                return job_fail(j);
        /* libvirt's array is NULL-terminated and plain malloc memory. */
        j->out_strv = models ? models : xmalloc0(sizeof(char *));
        j->r = 0;
}

static int method_get_cpu_model_names(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = connect_job(m, userdata, JOB_QUERY, "connect", "read", run_get_cpu_model_names,
                             reply_strv);
        const char *arch;
        int r = sd_bus_message_read(m, "su", &arch, &j->u[0]);

        if (r < 0) {
                job_free(j);
                return r;
        }
        j->s[0] = xstrdup(arch);
        return job_start(j, error);
}

static void run_baseline_cpu(Job *j) {
        j->out_s = virConnectBaselineCPU(j->vconn, (const char **) j->strv, strv_length(j->strv), j->u[0]);
        if (!j->out_s)
                return job_fail(j);
        j->r = 0;
}

static int method_baseline_cpu(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = connect_job(m, userdata, JOB_QUERY, "connect", "read", run_baseline_cpu, reply_string);
        int r = sd_bus_message_read_strv(m, &j->strv);

        for (char **s = j->strv; r >= 0 && s && *s; s++)
                r = xml_check_wellformed(*s, "CPU XML", error);
        if (r < 0) {
                job_free(j);
                return r;
        }
        return flags_only_job(m, j, error);
}

static void run_compare_cpu(Job *j) {
        int v = virConnectCompareCPU(j->vconn, j->s[0], j->u[0]);

        if (v == VIR_CPU_COMPARE_ERROR)
                return job_fail(j);
        j->out_x = v;
        j->r = 0;
}

static int method_compare_cpu(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = connect_job(m, userdata, JOB_QUERY, "connect", "read", run_compare_cpu, reply_int32);
        int r = bus_read_xml(m, &j->s[0], "CPU XML", error);

        if (r < 0) {
                job_free(j);
                return r;
        }
        return flags_only_job(m, j, error);
}

static void run_node_free_memory(Job *j) {
        j->out_t = virNodeGetFreeMemory(j->vconn);
        if (j->out_t == 0 && virGetLastError())
                return job_fail(j);
        j->r = 0;
}

static int method_node_free_memory(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return job_start(connect_job(m, userdata, JOB_QUERY, "connect", "read", run_node_free_memory,
                                     reply_uint64), error);
}

/* NodeGetMemoryStats and NodeGetCPUStats both answer a{st}. */
typedef struct FieldValues {
        int n;
        char (*field)[VIR_NODE_CPU_STATS_FIELD_LENGTH];
        uint64_t *value;
} FieldValues;

static void field_values_free(void *p) {
        FieldValues *f = p;

        if (!f)
                return;
        free(f->field);
        free(f->value);
        free(f);
}

static int reply_field_values(Job *j, sd_bus_message *reply) {
        FieldValues *f = j->out;
        int r = sd_bus_message_open_container(reply, 'a', "{st}");

        for (int i = 0; r >= 0 && f && i < f->n; i++)
                r = sd_bus_message_append(reply, "{st}", f->field[i], f->value[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static FieldValues *field_values_new(Job *j, int n) {
        FieldValues *f = xmalloc0(sizeof(*f));

        f->n = n;
        f->field = xmalloc0(sizeof(*f->field) * (size_t) (n ? n : 1));
        f->value = xmalloc0(sizeof(uint64_t) * (size_t) (n ? n : 1));
        j->out = f;
        j->out_free = field_values_free;
        return f;
}

static void run_node_memory_stats(Job *j) {
        int n = 0;
        virNodeMemoryStatsPtr stats;
        FieldValues *f;

        if (virNodeGetMemoryStats(j->vconn, j->i[0], NULL, &n, j->u[0]) < 0)
                return job_fail(j);
        stats = xmalloc0(sizeof(*stats) * (size_t) (n ? n : 1));
        if (n > 0 && virNodeGetMemoryStats(j->vconn, j->i[0], stats, &n, j->u[0]) < 0) {
                free(stats);
                return job_fail(j);
        }
        f = field_values_new(j, n);
        for (int i = 0; i < n; i++) {
                snprintf(f->field[i], sizeof(f->field[i]), "%s", stats[i].field);
                f->value[i] = stats[i].value;
        }
        free(stats);
        j->r = 0;
}

static void run_node_cpu_stats(Job *j) {
        int n = 0;
        virNodeCPUStatsPtr stats;
        FieldValues *f;

        if (virNodeGetCPUStats(j->vconn, j->i[0], NULL, &n, j->u[0]) < 0)
                return job_fail(j);
        stats = xmalloc0(sizeof(*stats) * (size_t) (n ? n : 1));
        if (n > 0 && virNodeGetCPUStats(j->vconn, j->i[0], stats, &n, j->u[0]) < 0) {
                free(stats);
                return job_fail(j);
        }
        f = field_values_new(j, n);
        for (int i = 0; i < n; i++) {
                snprintf(f->field[i], sizeof(f->field[i]), "%s", stats[i].field);
                f->value[i] = stats[i].value;
        }
        free(stats);
        j->r = 0;
}

static int int_and_flags(sd_bus_message *m, Job *j, sd_bus_error *error) {
        int r = sd_bus_message_read(m, "iu", &j->i[0], &j->u[0]);

        return job_start_parsed(j, r, error);
}

static int method_node_memory_stats(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return int_and_flags(m, connect_job(m, userdata, JOB_QUERY, "connect", "read",
                                            run_node_memory_stats, reply_field_values), error);
}

static int method_node_cpu_stats(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return int_and_flags(m, connect_job(m, userdata, JOB_QUERY, "connect", "read",
                                            run_node_cpu_stats, reply_field_values), error);
}

static void run_node_cpu_map(Job *j) {
        unsigned char *map = NULL;
        unsigned int online = 0;
        int n = virNodeGetCPUMap(j->vconn, &map, &online, j->u[0]);

        if (n < 0)
                return job_fail(j);
        j->out = map;
        j->out_free = free;
        j->out_x = n;
        j->r = 0;
}

static int reply_cpu_map(Job *j, sd_bus_message *reply) {
        unsigned char *map = j->out;
        int r = sd_bus_message_open_container(reply, 'a', "b");

        for (int64_t i = 0; r >= 0 && i < j->out_x; i++) {
                int bit = map ? VIR_CPU_USED(map, i) != 0 : 0;
                r = sd_bus_message_append_basic(reply, 'b', &bit);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_node_cpu_map(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return flags_only_job(m, connect_job(m, userdata, JOB_QUERY, "connect", "read", run_node_cpu_map,
                                         reply_cpu_map), error);
}

static void run_node_security_model(Job *j) {
        virSecurityModel model;

        if (virNodeGetSecurityModel(j->vconn, &model) < 0)
                return job_fail(j);
        j->strv = xmalloc0(sizeof(char *) * 3);
        j->strv[0] = xstrdup(model.model);
        j->strv[1] = xstrdup(model.doi);
        j->r = 0;
}

static int reply_security_model(Job *j, sd_bus_message *reply) {
        return sd_bus_message_append(reply, "(ss)", j->strv[0], j->strv[1]);
}

static int method_node_security_model(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return job_start(connect_job(m, userdata, JOB_QUERY, "connect", "read", run_node_security_model,
                                     reply_security_model), error);
}

static void run_node_memory_params(Job *j) {
        virTypedParameterPtr params = NULL;
        int n = 0;

        if (virNodeGetMemoryParameters(j->vconn, NULL, &n, j->u[0]) < 0)
                return job_fail(j);
        params = xmalloc0(sizeof(*params) * (size_t) (n ? n : 1));
        if (n > 0 && virNodeGetMemoryParameters(j->vconn, params, &n, j->u[0]) < 0) {
                free(params);
                return job_fail(j);
        }
        job_take_params(j, params, n);
        j->r = 0;
}

static int method_node_memory_params(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return flags_only_job(m, connect_job(m, userdata, JOB_QUERY, "connect", "read",
                                         run_node_memory_params, reply_params), error);
}

typedef struct InParams {
        virTypedParameterPtr p;
        int n;
} InParams;

static void in_params_free(void *p) {
        InParams *ip = p;

        if (!ip)
                return;
        typed_params_free(ip->p, ip->n);
        free(ip);
}

static void run_node_set_memory_params(Job *j) {
        InParams *ip = j->arg;

        if (virNodeSetMemoryParameters(j->vconn, ip->p, ip->n, j->u[0]) < 0)
                return job_fail(j);
        j->r = 0;
}

static int method_node_set_memory_params(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = connect_job(m, userdata, JOB_QUERY, "connect", "write", run_node_set_memory_params, NULL);
        InParams *ip = xmalloc0(sizeof(*ip));
        int r;

        j->arg = ip;
        j->arg_free = in_params_free;
        r = bus_read_typed_params(m, &ip->p, &ip->n, error);
        if (r < 0) {
                job_free(j);
                return r;
        }
        return flags_only_job(m, j, error);
}

typedef struct StatsRecords {
        int n;
        char **names;
        char **uuids;
        virTypedParameterPtr *params;
        int *nparams;
} StatsRecords;

static void stats_records_free(void *p) {
        StatsRecords *s = p;

        if (!s)
                return;
        for (int i = 0; i < s->n; i++) {
                free(s->names[i]);
                free(s->uuids[i]);
                typed_params_free(s->params[i], s->nparams[i]);
        }
        free(s->names);
        free(s->uuids);
        free(s->params);
        free(s->nparams);
        free(s);
}

static void run_all_domain_stats(Job *j) {
        virDomainStatsRecordPtr *records = NULL;
        int n = virConnectGetAllDomainStats(j->vconn, j->u[0], &records, j->u[1]);
        StatsRecords *s;

        if (n < 0)
                return job_fail(j);
        s = xmalloc0(sizeof(*s));
        s->names = xmalloc0(sizeof(char *) * (size_t) (n ? n : 1));
        s->uuids = xmalloc0(sizeof(char *) * (size_t) (n ? n : 1));
        s->params = xmalloc0(sizeof(virTypedParameterPtr) * (size_t) (n ? n : 1));
        s->nparams = xmalloc0(sizeof(int) * (size_t) (n ? n : 1));
        for (int i = 0; i < n; i++) {
                s->names[i] = xstrdup(virDomainGetName(records[i]->dom));
                s->uuids[i] = xmalloc0(VIR_UUID_STRING_BUFLEN);
                virDomainGetUUIDString(records[i]->dom, s->uuids[i]);
                s->params[i] = typed_params_copy(records[i]->params, records[i]->nparams);
                s->nparams[i] = records[i]->nparams;
        }
        s->n = n;
        virDomainStatsRecordListFree(records);
        j->out = s;
        j->out_free = stats_records_free;
        j->r = 0;
}

static int reply_all_domain_stats(Job *j, sd_bus_message *reply) {
        StatsRecords *s = j->out;
        int r = sd_bus_message_open_container(reply, 'a', "(sa{sv})");

        for (int i = 0; r >= 0 && i < s->n; i++) {
                DomainEntry *e = conn_domain_get(j->conn, s->uuids[i]);
                if (!auth_list_may_see(j->msg, e))
                        continue;
                r = sd_bus_message_open_container(reply, 'r', "sa{sv}");
                if (r >= 0)
                        r = sd_bus_message_append_basic(reply, 's', s->names[i]);
                if (r >= 0)
                        r = bus_append_typed_params(reply, s->params[i], s->nparams[i]);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int method_all_domain_stats(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = connect_job(m, userdata, JOB_QUERY, "connect", "search-domains", run_all_domain_stats,
                             reply_all_domain_stats);
        int r = sd_bus_message_read(m, "uu", &j->u[0], &j->u[1]);

        if (r < 0) {
                job_free(j);
                return r;
        }
        j->list_all = true;
        return job_start(j, error);
}

/* ---- properties -------------------------------------------------------- */

int connect_object_intercept(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "GetAll") ||
            sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Get"))
                return bus_property_read(m, userdata, NULL, error);
        return 0;
}

#define CONNECT_PROP(name, sig, field) \
        SD_BUS_PROPERTY(name, sig, NULL, offsetof(Connection, field), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)

const sd_bus_vtable connect_vtable[] = {
        SD_BUS_VTABLE_START(0),
        CONNECT_PROP("Connected", "b", connected),
        CONNECT_PROP("Encrypted", "b", encrypted),
        CONNECT_PROP("Hostname", "s", hostname),
        CONNECT_PROP("LibVersion", "t", lib_version),
        CONNECT_PROP("Secure", "b", secure),
        CONNECT_PROP("Version", "t", version),
        SD_BUS_METHOD_WITH_ARGS("BaselineCPU", SD_BUS_ARGS("as", xmlCPUs, "u", flags),
                                SD_BUS_RESULT("s", cpu), method_baseline_cpu, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CompareCPU", SD_BUS_ARGS("s", xmlDesc, "u", flags),
                                SD_BUS_RESULT("i", compareResult), method_compare_cpu, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainCreateXML", SD_BUS_ARGS("s", xml, "u", flags),
                                SD_BUS_RESULT("o", domain), method_create_xml, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainCreateXMLWithFiles", SD_BUS_ARGS("s", xml, "ah", files, "u", flags),
                                SD_BUS_RESULT("o", domain), method_create_xml_with_files, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainDefineXML", SD_BUS_ARGS("s", xml),
                                SD_BUS_RESULT("o", domain), method_define_xml, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainLookupByID", SD_BUS_ARGS("i", id),
                                SD_BUS_RESULT("o", domain), method_lookup_by_id, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainLookupByName", SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("o", domain), method_lookup_by_name, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainLookupByUUID", SD_BUS_ARGS("s", uuid),
                                SD_BUS_RESULT("o", domain), method_lookup_by_uuid, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainRestore", SD_BUS_ARGS("s", from, "s", xml, "u", flags),
                                SD_BUS_NO_RESULT, method_domain_restore, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainSaveImageDefineXML", SD_BUS_ARGS("s", file, "s", xml, "u", flags),
                                SD_BUS_NO_RESULT, method_save_image_define, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainSaveImageGetXMLDesc", SD_BUS_ARGS("s", file, "u", flags),
                                SD_BUS_RESULT("s", xml), method_save_image_get_xml, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetAllDomainStats", SD_BUS_ARGS("u", stats, "u", flags),
                                SD_BUS_RESULT("a(sa{sv})", records), method_all_domain_stats, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetCapabilities", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", capabilities), method_get_capabilities, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetCPUModelNames", SD_BUS_ARGS("s", arch, "u", flags),
                                SD_BUS_RESULT("as", models), method_get_cpu_model_names, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetDomainCapabilities",
                                SD_BUS_ARGS("s", emulatorbin, "s", arch, "s", machine, "s", virttype, "u", flags),
                                SD_BUS_RESULT("s", domCapabilities), method_get_domain_capabilities,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetSysinfo", SD_BUS_ARGS("u", flags),
                                SD_BUS_RESULT("s", sysinfo), method_get_sysinfo, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListDomains", SD_BUS_ARGS("u", flags),
                                SD_BUS_RESULT("ao", domains), method_list_domains, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("NodeGetCPUMap", SD_BUS_ARGS("u", flags),
                                SD_BUS_RESULT("ab", res), method_node_cpu_map, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("NodeGetCPUStats", SD_BUS_ARGS("i", cpuNum, "u", flags),
                                SD_BUS_RESULT("a{st}", cpuStats), method_node_cpu_stats, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("NodeGetFreeMemory", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("t", freemem), method_node_free_memory, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("NodeGetMemoryParameters", SD_BUS_ARGS("u", flags),
                                SD_BUS_RESULT("a{sv}", memoryParameters), method_node_memory_params,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("NodeGetMemoryStats", SD_BUS_ARGS("i", cellNum, "u", flags),
                                SD_BUS_RESULT("a{st}", stats), method_node_memory_stats, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("NodeGetSecurityModel", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("(ss)", secModel), method_node_security_model, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("NodeSetMemoryParameters", SD_BUS_ARGS("a{sv}", params, "u", flags),
                                SD_BUS_NO_RESULT, method_node_set_memory_params, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("DomainEvent", SD_BUS_ARGS("o", domain, "i", event, "i", detail), 0),
        SD_BUS_VTABLE_END
};
