/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "auth.h"
#include "bus.h"
#include "errors.h"
#include "log.h"
#include "util.h"
#include "xmlcheck.h"

/* ---- registration ------------------------------------------------------ */

int bus_connection_register(sd_bus *bus, Connection *c) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, c->path, CONNECT_INTERFACE, connect_vtable, c);
        if (r < 0)
                return r;
        /* Message callbacks run before the vtable's own Properties handling
         * at the same path or prefix: that is where GetAll is answered the
         * libvirt-dbus way. */
        r = sd_bus_add_object(bus, NULL, c->path, connect_object_intercept, c);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(bus, NULL, c->dom_prefix, DOMAIN_INTERFACE, domain_vtable,
                                       domain_object_find, c);
        if (r < 0)
                return r;
        r = sd_bus_add_node_enumerator(bus, NULL, c->dom_prefix, domain_object_enumerate, c);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback(bus, NULL, c->dom_prefix, domain_object_intercept, c);
        if (r < 0)
                return r;
        return sd_bus_add_fallback_vtable(bus, NULL, c->snap_prefix, SNAPSHOT_INTERFACE,
                                          snapshot_vtable, snapshot_object_find, c);
}

/* ---- signals ----------------------------------------------------------- */

void bus_emit_object_added(sd_bus *bus, const char *path) {
        int r = sd_bus_emit_object_added(bus, path);
        if (r < 0)
                log_error("Failed to emit InterfacesAdded for %s: %s", path, strerror(-r));
}

void bus_emit_object_removed(sd_bus *bus, const char *path) {
        int r = sd_bus_emit_object_removed(bus, path);
        if (r < 0)
                log_error("Failed to emit InterfacesRemoved for %s: %s", path, strerror(-r));
}

void bus_domain_emit_changed(sd_bus *bus, const char *path, const char **names) {
        int r = sd_bus_emit_properties_changed_strv(bus, path, DOMAIN_INTERFACE, (char **) names);
        if (r < 0)
                log_error("Failed to emit PropertiesChanged for %s: %s", path, strerror(-r));
}

void bus_connection_emit_changed(sd_bus *bus, Connection *c, const char *name) {
        int r = sd_bus_emit_properties_changed(bus, c->path, CONNECT_INTERFACE, name, NULL);
        if (r < 0)
                log_error("Failed to emit PropertiesChanged for %s: %s", c->path, strerror(-r));
}

void bus_emit_domain_event(Connection *c, const char *path, int event, int detail) {
        int r = sd_bus_emit_signal(c->manager->bus, c->path, CONNECT_INTERFACE, "DomainEvent",
                                   "oii", path, event, detail);
        if (r < 0)
                log_error("Failed to emit DomainEvent for %s: %s", path, strerror(-r));
}

static int append_graphics_address(sd_bus_message *m, int family, const char *node,
                                   const char *service) {
        return sd_bus_message_append(m, "(iss)", family, node, service);
}

void bus_emit_domain_signal(sd_bus *bus, const char *path, EventItem *ev) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const char *member;
        int r;

        switch (ev->id) {
        case VIR_DOMAIN_EVENT_ID_REBOOT: member = "Reboot"; break;
        case VIR_DOMAIN_EVENT_ID_RTC_CHANGE: member = "RTCChange"; break;
        case VIR_DOMAIN_EVENT_ID_WATCHDOG: member = "Watchdog"; break;
        case VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON: member = "IOError"; break;
        case VIR_DOMAIN_EVENT_ID_GRAPHICS: member = "Graphics"; break;
        case VIR_DOMAIN_EVENT_ID_CONTROL_ERROR: member = "ControlError"; break;
        case VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2: member = "BlockJob"; break;
        case VIR_DOMAIN_EVENT_ID_DISK_CHANGE: member = "DiskChange"; break;
        case VIR_DOMAIN_EVENT_ID_TRAY_CHANGE: member = "TrayChange"; break;
        case VIR_DOMAIN_EVENT_ID_PMWAKEUP: member = "PMWakeup"; break;
        case VIR_DOMAIN_EVENT_ID_PMSUSPEND: member = "PMSuspend"; break;
        case VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE: member = "BalloonChange"; break;
        case VIR_DOMAIN_EVENT_ID_PMSUSPEND_DISK: member = "PMSuspendDisk"; break;
        case VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED: member = "DeviceRemoved"; break;
        case VIR_DOMAIN_EVENT_ID_TUNABLE: member = "Tunable"; break;
        case VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE: member = "AgentEvent"; break;
        case VIR_DOMAIN_EVENT_ID_DEVICE_ADDED: member = "DeviceAdded"; break;
        case VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION: member = "MigrationIteration"; break;
        case VIR_DOMAIN_EVENT_ID_JOB_COMPLETED: member = "JobCompleted"; break;
        case VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED: member = "DeviceRemovalFailed"; break;
        case VIR_DOMAIN_EVENT_ID_METADATA_CHANGE: member = "MetadataChange"; break;
        default:
                return;
        }
        r = sd_bus_message_new_signal(bus, &m, path, DOMAIN_INTERFACE, member);
        if (r < 0)
                goto fail;

        switch (ev->id) {
        case VIR_DOMAIN_EVENT_ID_REBOOT:
        case VIR_DOMAIN_EVENT_ID_CONTROL_ERROR:
                break;
        case VIR_DOMAIN_EVENT_ID_RTC_CHANGE:
                r = sd_bus_message_append(m, "x", ev->x);
                break;
        case VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE:
                r = sd_bus_message_append(m, "t", (uint64_t) ev->x);
                break;
        case VIR_DOMAIN_EVENT_ID_WATCHDOG:
        case VIR_DOMAIN_EVENT_ID_PMWAKEUP:
        case VIR_DOMAIN_EVENT_ID_PMSUSPEND:
        case VIR_DOMAIN_EVENT_ID_PMSUSPEND_DISK:
        case VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION:
                r = sd_bus_message_append(m, "i", ev->i[0]);
                break;
        case VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON:
                r = sd_bus_message_append(m, "ssis", ev->s[0], ev->s[1], ev->i[0], ev->s[2]);
                break;
        case VIR_DOMAIN_EVENT_ID_GRAPHICS:
                r = sd_bus_message_append(m, "i", ev->i[0]);
                if (r >= 0)
                        r = append_graphics_address(m, ev->i[1], ev->s[0], ev->s[1]);
                if (r >= 0)
                        r = append_graphics_address(m, ev->i[2], ev->s[2], ev->s[3]);
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", ev->s[4]);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "(ss)");
                for (int i = 0; r >= 0 && i < ev->i[3]; i++)
                        r = sd_bus_message_append(m, "(ss)", ev->strv[2 * i], ev->strv[2 * i + 1]);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                break;
        case VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2:
                r = sd_bus_message_append(m, "sii", ev->s[0], ev->i[0], ev->i[1]);
                break;
        case VIR_DOMAIN_EVENT_ID_DISK_CHANGE:
                r = sd_bus_message_append(m, "sssi", ev->s[0], ev->s[1], ev->s[2], ev->i[0]);
                break;
        case VIR_DOMAIN_EVENT_ID_TRAY_CHANGE:
                r = sd_bus_message_append(m, "si", ev->s[0], ev->i[0]);
                break;
        case VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED:
        case VIR_DOMAIN_EVENT_ID_DEVICE_ADDED:
        case VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED:
                r = sd_bus_message_append(m, "s", ev->s[0]);
                break;
        case VIR_DOMAIN_EVENT_ID_TUNABLE:
        case VIR_DOMAIN_EVENT_ID_JOB_COMPLETED:
                r = bus_append_typed_params(m, ev->params, ev->nparams);
                break;
        case VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE:
                r = sd_bus_message_append(m, "ii", ev->i[0], ev->i[1]);
                break;
        case VIR_DOMAIN_EVENT_ID_METADATA_CHANGE:
                r = sd_bus_message_append(m, "is", ev->i[0], ev->s[0]);
                break;
        }
        if (r >= 0)
                r = sd_bus_send(bus, m, NULL);
        if (r >= 0)
                return;
fail:
        log_error("Failed to emit %s for %s: %s", member, path, strerror(-r));
}

/* ---- replies ----------------------------------------------------------- */

void job_reply_error(Job *j, const sd_bus_error *error) {
        int r = sd_bus_reply_method_error(j->msg, error);
        if (r < 0)
                log_debug("Failed to send an error reply: %s", strerror(-r));
}

void job_reply_no_connect(Job *j) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        sd_bus_error_setf(&e, VIRTBUS_ERROR_NO_CONNECT,
                          "The libvirt connection %s (%s) is not available",
                          j->conn->name, j->conn->uri);
        job_reply_error(j, &e);
}

void job_reply(Job *j) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        log_debug("%s.%s on %s from %s: %s", sd_bus_message_get_interface(j->msg),
                  sd_bus_message_get_member(j->msg), sd_bus_message_get_path(j->msg),
                  strna(sd_bus_message_get_sender(j->msg)),
                  j->r < 0 ? (j->err.message ? j->err.message : "failed") : "done");
        if (j->r < 0) {
                /* Where polkit hides domains, a missing one and a hidden one
                 * must read the same: both get the daemon's text. */
                if (j->not_found && j->err.code == VIR_ERR_NO_DOMAIN && j->conn->manager->system_bus)
                        sd_bus_error_set(&e, VIRTBUS_ERROR_PREFIX "NoDomain", j->not_found);
                else
                        errors_set_from_virt(&e, &j->err);
                return job_reply_error(j, &e);
        }
        r = sd_bus_message_new_method_return(j->msg, &reply);
        if (r >= 0 && j->reply)
                r = j->reply(j, reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r == -ENOENT) {
                /* The domain went away (or may not be seen) meanwhile. */
                sd_bus_error_set(&e, VIRTBUS_ERROR_PREFIX "NoDomain",
                                 j->not_found ? j->not_found : "Domain not found");
                job_reply_error(j, &e);
        } else if (r < 0) {
                sd_bus_error_set_errno(&e, r);
                job_reply_error(j, &e);
        }
}

int reply_string(Job *j, sd_bus_message *reply) {
        return sd_bus_message_append(reply, "s", j->out_s ? j->out_s : "");
}

int reply_bool(Job *j, sd_bus_message *reply) {
        return sd_bus_message_append(reply, "b", (int) !!j->out_x);
}

int reply_uint32(Job *j, sd_bus_message *reply) {
        return sd_bus_message_append(reply, "u", (uint32_t) j->out_x);
}

int reply_int32(Job *j, sd_bus_message *reply) {
        return sd_bus_message_append(reply, "i", (int32_t) j->out_x);
}

int reply_uint64(Job *j, sd_bus_message *reply) {
        return sd_bus_message_append(reply, "t", j->out_t);
}

int reply_strv(Job *j, sd_bus_message *reply) {
        return sd_bus_message_append_strv(reply, j->out_strv);
}

typedef struct Params {
        virTypedParameterPtr p;
        int n;
} Params;

static void params_free(void *p) {
        Params *pp = p;

        if (!pp)
                return;
        typed_params_free(pp->p, pp->n);
        free(pp);
}

void job_own_params(Job *j, virTypedParameterPtr copy, int n) {
        Params *pp = xmalloc0(sizeof(*pp));

        pp->p = copy;
        pp->n = n;
        j->out = pp;
        j->out_free = params_free;
}

void job_take_params(Job *j, virTypedParameterPtr params, int n) {
        /* A private copy, so the loop thread frees plain memory only. */
        job_own_params(j, typed_params_copy(params, n), n);
        virTypedParamsFree(params, n);
}

int job_start_parsed(Job *j, int r, sd_bus_error *error) {
        if (r < 0) {
                job_free(j);
                return r;
        }
        return job_start(j, error);
}

int flags_only_job(sd_bus_message *m, Job *j, sd_bus_error *error) {
        return job_start_parsed(j, sd_bus_message_read(m, "u", &j->u[0]), error);
}

int reply_params(Job *j, sd_bus_message *reply) {
        Params *pp = j->out;

        return bus_append_typed_params(reply, pp ? pp->p : NULL, pp ? pp->n : 0);
}

int reply_domain_path(Job *j, sd_bus_message *reply) {
        _cleanup_free_ char *path = path_for_uuid(j->conn->dom_prefix, j->uuid);

        return sd_bus_message_append(reply, "o", path);
}

void apply_domain_found(Job *j) {
        /* The object a reply names must be findable when the reply arrives. */
        if (!j->have_after)
                return;
        memcpy(j->uuid, j->after.uuid, sizeof(j->uuid));
        /* Not when it went away meanwhile: its events are newer than the
         * worker's view. (Events waiting for it follow the upsert.) */
        if (!conn_domain_get(j->conn, j->uuid) && !conn_gone_since(j->conn, j->uuid, j->events_at_start))
                conn_domain_upsert(j->conn, &j->after, j->out_dom);
}

void apply_domain_after(Job *j) {
        DomainEntry *e;

        if (!j->have_after)
                return;
        e = conn_domain_get(j->conn, j->after.uuid);
        if (!e)
                return;
        /* Facts that no event announces (autostart, metadata-free config
         * changes) are published here; the run state follows the events. */
        DomainInfo next = { 0 };
        domain_info_copy(&next, &e->node.info);
        next.autostart = j->after.autostart;
        next.updated = j->after.updated;
        conn_domain_upsert(j->conn, &next, NULL);
        domain_info_clear(&next);
}

Job *domain_job_new(sd_bus_message *m, DomainEntry *e, JobClass klass, const char *permission,
                    job_run_t run, job_reply_t reply) {
        Job *j = job_new(e->conn, m, klass, run, reply);

        j->object = "domain";
        j->permission = permission;
        memcpy(j->uuid, e->node.info.uuid, sizeof(j->uuid));
        j->dom_name = xstrdup(e->node.info.name);
        /* Answers from the table need no libvirt object. */
        if (e->dom && run) {
                virDomainRef(e->dom);
                j->dom = e->dom;
        }
        return j;
}

/* ---- typed parameters -------------------------------------------------- */

int bus_append_typed_params(sd_bus_message *m, const virTypedParameter *params, int n) {
        int r = sd_bus_message_open_container(m, 'a', "{sv}");

        for (int i = 0; r >= 0 && i < n; i++) {
                const virTypedParameter *p = &params[i];
                char sig[2] = { 0 };
                const void *v = &p->value;
                int b;

                switch (p->type) {
                case VIR_TYPED_PARAM_INT: sig[0] = 'i'; break;
                case VIR_TYPED_PARAM_UINT: sig[0] = 'u'; break;
                case VIR_TYPED_PARAM_LLONG: sig[0] = 'x'; break;
                case VIR_TYPED_PARAM_ULLONG: sig[0] = 't'; break;
                case VIR_TYPED_PARAM_DOUBLE: sig[0] = 'd'; break;
                case VIR_TYPED_PARAM_BOOLEAN: sig[0] = 'b'; b = !!p->value.b; v = &b; break;
                case VIR_TYPED_PARAM_STRING: sig[0] = 's'; v = p->value.s ? p->value.s : ""; break;
                default: continue;
                }
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append_basic(m, 's', p->field);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "v");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', sig);
                if (r >= 0)
                        r = sd_bus_message_append_basic(m, sig[0], v);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int bus_read_typed_params(sd_bus_message *m, virTypedParameterPtr *out, int *nout,
                          sd_bus_error *error) {
        virTypedParameterPtr params = NULL;
        int n = 0, max = 0, r;
        const char *field;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *contents;
                char type;

                r = sd_bus_message_read_basic(m, 's', &field);
                if (r < 0)
                        goto fail;
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        goto fail;
                /* Accept the value wrapped once (the D-Bus way) or twice
                 * (the way libvirt-dbus sends it). */
                int depth = 0;
                while (type == 'v' && depth < 2) {
                        r = sd_bus_message_enter_container(m, 'v', contents);
                        if (r < 0)
                                goto fail;
                        depth++;
                        r = sd_bus_message_peek_type(m, &type, &contents);
                        if (r < 0)
                                goto fail;
                }
                if (strlen(field) >= VIR_TYPED_PARAM_FIELD_LENGTH) {
                        r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                              "Parameter name '%.40s...' is too long", field);
                        goto fail;
                }
                if (n == max) {
                        max = max ? max * 2 : 8;
                        virTypedParameterPtr np = realloc(params, sizeof(*params) * (size_t) max);
                        if (!np)
                                abort();
                        params = np;
                }
                virTypedParameterPtr p = &params[n];
                memset(p, 0, sizeof(*p));
                strcpy(p->field, field);
                switch (type) {
                case 'i': p->type = VIR_TYPED_PARAM_INT; r = sd_bus_message_read_basic(m, 'i', &p->value.i); break;
                case 'u': p->type = VIR_TYPED_PARAM_UINT; r = sd_bus_message_read_basic(m, 'u', &p->value.ui); break;
                case 'x': p->type = VIR_TYPED_PARAM_LLONG; r = sd_bus_message_read_basic(m, 'x', &p->value.l); break;
                case 't': p->type = VIR_TYPED_PARAM_ULLONG; r = sd_bus_message_read_basic(m, 't', &p->value.ul); break;
                case 'd': p->type = VIR_TYPED_PARAM_DOUBLE; r = sd_bus_message_read_basic(m, 'd', &p->value.d); break;
                case 'b': {
                        int b;
                        p->type = VIR_TYPED_PARAM_BOOLEAN;
                        r = sd_bus_message_read_basic(m, 'b', &b);
                        p->value.b = (char) b;
                        break;
                }
                case 's': {
                        const char *s;
                        p->type = VIR_TYPED_PARAM_STRING;
                        r = sd_bus_message_read_basic(m, 's', &s);
                        if (r >= 0)
                                p->value.s = xstrdup(s);
                        break;
                }
                default:
                        r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                              "Parameter '%s' has unsupported type '%c'", field, type);
                        goto fail;
                }
                if (r < 0)
                        goto fail;
                n++;
                while (depth-- > 0) {
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                goto fail;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        goto fail;
        }
        if (r < 0)
                goto fail;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;
        *out = params;
        *nout = n;
        return 0;
fail:
        typed_params_free(params, n);
        return r;
}

int bus_read_xml(sd_bus_message *m, char **xml, const char *what, sd_bus_error *error) {
        const char *s;
        int r = sd_bus_message_read_basic(m, 's', &s);

        if (r < 0)
                return r;
        r = xml_check_wellformed(s, what, error);
        if (r < 0)
                return r;
        *xml = xstrdup(s);
        return 0;
}

int bus_read_domain_xml(sd_bus_message *m, Job *j, char **xml, sd_bus_error *error) {
        const char *s;
        int r = sd_bus_message_read_basic(m, 's', &s);

        if (r < 0)
                return r;
        free(j->dom_name);
        free(j->xml_uuid);
        j->dom_name = j->xml_uuid = NULL;
        r = xml_check_domain(s, "Domain XML", error, &j->dom_name, &j->xml_uuid);
        if (r < 0)
                return r;
        *xml = xstrdup(s);
        return 0;
}

/* ---- properties from the vtables ---------------------------------------- */

static int append_property_value(sd_bus_message *reply, const char *path, const char *interface,
                                 const sd_bus_vtable *v, void *object, sd_bus_error *error) {
        void *p = (uint8_t *) object + v->x.property.offset;
        const char *sig = v->x.property.signature;

        if (v->x.property.get)
                return v->x.property.get(sd_bus_message_get_bus(reply), path, interface,
                                         v->x.property.member, reply, p, error);
        if (sig[0] == 's' || sig[0] == 'o' || sig[0] == 'g') {
                const char *str = *(char **) p;
                return sd_bus_message_append_basic(reply, sig[0], str ? str : "");
        }
        return sd_bus_message_append_basic(reply, sig[0], p);
}

static bool is_property(const sd_bus_vtable *v) {
        return v->type == _SD_BUS_VTABLE_PROPERTY || v->type == _SD_BUS_VTABLE_WRITABLE_PROPERTY;
}

/* One property as a variant; @wraps is 2 for the libvirt-dbus GetAll quirk. */
static int append_wrapped(sd_bus_message *reply, const char *path, const char *interface,
                          const sd_bus_vtable *v, void *object, int wraps, sd_bus_error *error) {
        int r = 0;

        if (wraps == 2)
                r = sd_bus_message_open_container(reply, 'v', "v");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', v->x.property.signature);
        if (r >= 0)
                r = append_property_value(reply, path, interface, v, object, error);
        for (int i = 0; r >= 0 && i < wraps; i++)
                r = sd_bus_message_close_container(reply);
        return r;
}

int bus_append_properties(sd_bus_message *reply, const char *path, const char *interface,
                          const sd_bus_vtable *vtable, void *object, int wraps, sd_bus_error *error) {
        int r = sd_bus_message_open_container(reply, 'a', "{sv}");

        for (const sd_bus_vtable *v = vtable; r >= 0 && v->type != _SD_BUS_VTABLE_END; v++) {
                if (!is_property(v))
                        continue;
                r = sd_bus_message_open_container(reply, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append_basic(reply, 's', v->x.property.member);
                if (r >= 0)
                        r = append_wrapped(reply, path, interface, v, object, wraps, error);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

bool bus_vtable_has_property(const sd_bus_vtable *vtable, const char *name) {
        for (const sd_bus_vtable *v = vtable; v->type != _SD_BUS_VTABLE_END; v++)
                if (is_property(v) && streq(v->x.property.member, name))
                        return true;
        return false;
}

int bus_append_property(sd_bus_message *reply, const char *path, const char *interface,
                        const sd_bus_vtable *vtable, void *object, const char *name, sd_bus_error *error) {
        for (const sd_bus_vtable *v = vtable; v->type != _SD_BUS_VTABLE_END; v++)
                if (is_property(v) && streq(v->x.property.member, name))
                        return append_wrapped(reply, path, interface, v, object, 1, error);
        return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property %s.%s",
                                 interface, name);
}

static int reply_property_read(Job *j, sd_bus_message *reply) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        DomainEntry *d = NULL;
        const char *path = j->conn->path, *iface = CONNECT_INTERFACE;
        const sd_bus_vtable *vtable = connect_vtable;
        void *object = j->conn;

        if (j->uuid[0]) {
                d = conn_domain_get(j->conn, j->uuid);
                if (!d)
                        return -ENOENT;
                path = d->path;
                iface = DOMAIN_INTERFACE;
                vtable = domain_vtable;
                object = d;
        }
        if (!j->s[0]) /* GetAll, two variants per value as libvirt-dbus */
                return bus_append_properties(reply, path, iface, vtable, object, 2, &e);
        return bus_append_property(reply, path, iface, vtable, object, j->s[0], &e);
}

int bus_property_read(sd_bus_message *m, Connection *c, DomainEntry *e, sd_bus_error *error) {
        const char *want = e ? DOMAIN_INTERFACE : CONNECT_INTERFACE;
        bool all = sd_bus_message_is_method_call(m, NULL, "GetAll");
        const char *iface, *prop = NULL;
        Job *j;
        int r;

        r = sd_bus_message_read_basic(m, 's', &iface);
        if (r >= 0 && !all)
                r = sd_bus_message_read_basic(m, 's', &prop);
        if (r < 0 || !streq(iface, want)) {
                /* Standard interfaces: sd-bus answers. */
                sd_bus_message_rewind(m, true);
                return 0;
        }
        if (prop && !bus_vtable_has_property(e ? domain_vtable : connect_vtable, prop))
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY,
                                         "Unknown property %s.%s", iface, prop);
        if (e)
                j = domain_job_new(m, e, JOB_QUERY, "getattr", NULL, reply_property_read);
        else {
                j = job_new(c, m, JOB_QUERY, NULL, reply_property_read);
                j->object = "connect";
                j->permission = "getattr";
        }
        /* Served from what the daemon last knew, even while disconnected. */
        j->any_state = true;
        j->s[0] = xstrdup(prop);
        j->verb = xstrdup(prop ? prop : "GetAll");
        return job_start(j, error);
}

/* ---- ObjectManager.GetManagedObjects ------------------------------------ */

static int append_object(sd_bus_message *reply, const char *path, const char *interface,
                         const sd_bus_vtable *vtable, void *object) {
        static const char *const standard[] = {
                "org.freedesktop.DBus.Peer", "org.freedesktop.DBus.Introspectable",
                "org.freedesktop.DBus.Properties",
        };
        int r = sd_bus_message_open_container(reply, 'e', "oa{sa{sv}}");

        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'o', path);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sa{sv}}");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(standard); i++)
                r = sd_bus_message_append(reply, "{sa{sv}}", standard[i], 0);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'e', "sa{sv}");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', interface);
        if (r >= 0)
                r = bus_append_properties(reply, path, interface, vtable, object, 1, NULL);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int reply_managed_objects(Job *j, sd_bus_message *reply) {
        Manager *m = j->conn->manager;
        int r = sd_bus_message_open_container(reply, 'a', "{oa{sa{sv}}}");

        for (size_t i = 0; r >= 0 && i < m->nconns; i++) {
                Connection *c = m->conns[i];
                size_t b = 0;

                r = append_object(reply, c->path, CONNECT_INTERFACE, connect_vtable, c);
                for (DomainNode *n = domain_table_next(c->domains, &b, NULL); r >= 0 && n;
                     n = domain_table_next(c->domains, &b, n)) {
                        DomainEntry *e = (DomainEntry *) n;
                        if (auth_list_may_see(j->msg, e))
                                r = append_object(reply, e->path, DOMAIN_INTERFACE, domain_vtable, e);
                }
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* Answered from the tables in one pass, after learning which domains the
 * caller may see (sd-bus's own handler could not wait for polkit). */
static int objects_intercept(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Manager *mgr = userdata;
        Job *j;

        if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects") ||
            mgr->nconns == 0)
                return 0;
        j = job_new(mgr->conns[0], m, JOB_QUERY, NULL, reply_managed_objects);
        j->object = "connect";
        j->permission = "search-domains";
        j->any_state = true;
        j->list_all = true;
        return job_start(j, error);
}

int bus_manager_register(sd_bus *bus, Manager *m) {
        int r = sd_bus_add_object_manager(bus, NULL, VIRTBUS_ROOT_PATH);

        if (r < 0)
                return r;
        return sd_bus_add_object(bus, NULL, VIRTBUS_ROOT_PATH, objects_intercept, m);
}
