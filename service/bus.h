/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the D-Bus interfaces share: registration of a connection's objects,
 * replies built from finished jobs, signals, typed parameters, and the
 * libvirt-dbus wire quirk for Properties.GetAll. Loop thread only. */

#include <systemd/sd-bus.h>

#include "events.h"
#include "jobs.h"
#include "manager.h"

#define CONNECT_INTERFACE "org.libvirt.Connect"
#define DOMAIN_INTERFACE "org.libvirt.Domain"
#define SNAPSHOT_INTERFACE "org.libvirt.DomainSnapshot"

extern const sd_bus_vtable connect_vtable[];
extern const sd_bus_vtable domain_vtable[];
extern const sd_bus_vtable snapshot_vtable[];

int bus_connection_register(sd_bus *bus, Connection *c);

void bus_emit_object_added(sd_bus *bus, const char *path);
void bus_emit_object_removed(sd_bus *bus, const char *path);
void bus_domain_emit_changed(sd_bus *bus, const char *path, const char **names);
void bus_connection_emit_changed(sd_bus *bus, Connection *c, const char *name);
void bus_emit_domain_event(Connection *c, const char *path, int event, int detail);
void bus_emit_domain_signal(sd_bus *bus, const char *path, EventItem *ev);

/* Replies for a finished (or refused) job. They do not free it. */
void job_reply(Job *j);
void job_reply_error(Job *j, const sd_bus_error *error);
void job_reply_no_connect(Job *j);

/* Typed parameters as libvirt-dbus puts them on the wire: a{sv} with each
 * value wrapped in a second variant. Reading accepts one or two. */
int bus_append_typed_params(sd_bus_message *m, const virTypedParameter *params, int n);
int bus_read_typed_params(sd_bus_message *m, virTypedParameterPtr *params, int *n, sd_bus_error *error);

/* Reads a caller's XML argument and checks it is well-formed; a domain
 * document also gives the job its name and UUID for polkit. */
int bus_read_xml(sd_bus_message *m, char **xml, const char *what, sd_bus_error *error);
int bus_read_domain_xml(sd_bus_message *m, Job *j, char **xml, sd_bus_error *error);

/* A domain job for the domain behind @e: references it, records the
 * facts polkit needs. */
Job *domain_job_new(sd_bus_message *m, DomainEntry *e, JobClass klass, const char *permission,
                    job_run_t run, job_reply_t reply);

/* Takes the results of a worker's libvirt typed-parameter call (freeing
 * libvirt's array), or keeps a copy the daemon made itself. */
void job_take_params(Job *j, virTypedParameterPtr params, int n);
void job_own_params(Job *j, virTypedParameterPtr copy, int n);

/* Starts @j when parsing its arguments went well (@r >= 0), else frees it
 * and returns @r: the last step of every handler. */
int job_start_parsed(Job *j, int r, sd_bus_error *error);

/* Reads the trailing flags argument and starts the job (frees it on error). */
int flags_only_job(sd_bus_message *m, Job *j, sd_bus_error *error);

/* Snapshot names to object paths under the job's domain. */
int reply_snapshot_paths(Job *j, sd_bus_message *reply);
void take_snapshot_names(Job *j, virDomainSnapshotPtr *snaps, int n);

/* Reply builders shared by many methods. */
int reply_string(Job *j, sd_bus_message *reply);
int reply_bool(Job *j, sd_bus_message *reply);
int reply_uint32(Job *j, sd_bus_message *reply);
int reply_int32(Job *j, sd_bus_message *reply);
int reply_uint64(Job *j, sd_bus_message *reply);
int reply_params(Job *j, sd_bus_message *reply);
int reply_strv(Job *j, sd_bus_message *reply);
int reply_domain_path(Job *j, sd_bus_message *reply);

/* Apply step: publishes the domain a call created or found. */
void apply_domain_found(Job *j);
void apply_domain_after(Job *j);

/* Properties taken from a vtable over @object: all of them as a{sv} with
 * each value wrapped @wraps times, or one of them wrapped once. */
int bus_append_properties(sd_bus_message *reply, const char *path, const char *interface,
                          const sd_bus_vtable *vtable, void *object, int wraps, sd_bus_error *error);
int bus_append_property(sd_bus_message *reply, const char *path, const char *interface,
                        const sd_bus_vtable *vtable, void *object, const char *name, sd_bus_error *error);

bool bus_vtable_has_property(const sd_bus_vtable *vtable, const char *name);

/* The ObjectManager at /org/libvirt, with GetManagedObjects answered from
 * the domain tables. */
int bus_manager_register(sd_bus *bus, Manager *m);

/* Properties.Get and GetAll on a Connect (@e NULL) or Domain object, as an
 * authorized job answered from the tables; GetAll wraps each value twice,
 * as libvirt-dbus does. Returns 0 for interfaces it leaves to sd-bus. */
int bus_property_read(sd_bus_message *m, Connection *c, DomainEntry *e, sd_bus_error *error);

/* Object lookup for the fallback vtables (bus-domain.c, bus-snapshot.c). */
int domain_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                       void **found, sd_bus_error *error);
int domain_object_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
                            sd_bus_error *error);
int domain_object_intercept(sd_bus_message *m, void *userdata, sd_bus_error *error);
int connect_object_intercept(sd_bus_message *m, void *userdata, sd_bus_error *error);
int snapshot_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                         void **found, sd_bus_error *error);
