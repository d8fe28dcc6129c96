/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "util.h"
#include "vtable.h"

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error);

/* Properties are an object's facts: the vtable's offset leads the getter
 * from the object to its Value. */
static size_t fact_offset(int fact) {
        return offsetof(Obj, facts) + sizeof(Value) * (size_t) fact;
}

static void add_entry(sd_bus_vtable **v, size_t *n, sd_bus_vtable e) {
        *v = xrealloc(*v, sizeof(sd_bus_vtable) * (*n + 1));
        /* Unused parts of the union must be zero (sd-bus-vtable.h). */
        memset(&(*v)[*n], 0, sizeof(sd_bus_vtable));
        (*v)[*n] = e;
        (*n)++;
}

static int property_set_unreachable(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *value, void *userdata, sd_bus_error *error) {
        /* Every Set is taken by the object's message handler first, and
         * runs as an authorized call. */
        return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "Property writes go through a call");
}

/* One vtable per interface and handler, made once and kept until exit. */
static struct {
        const Interface *iface;
        sd_bus_message_handler_t handler;
        sd_bus_vtable *v;
} made[32];
static size_t nmade;

static sd_bus_vtable *build(const Interface *iface, sd_bus_message_handler_t handler);

const sd_bus_vtable *bus_vtable_for(const Interface *iface, sd_bus_message_handler_t handler) {
        for (size_t i = 0; i < nmade; i++)
                if (made[i].iface == iface && made[i].handler == handler)
                        return made[i].v;
        if (nmade == ELEMENTSOF(made))
                abort(); /* more interfaces than kinds have */
        made[nmade].iface = iface;
        made[nmade].handler = handler;
        made[nmade].v = build(iface, handler);
        return made[nmade++].v;
}

void bus_vtables_free(void) {
        for (size_t i = 0; i < nmade; i++)
                free(made[i].v);
        nmade = 0;
}

static sd_bus_vtable *build(const Interface *iface, sd_bus_message_handler_t handler) {
        sd_bus_vtable *v = NULL, e;
        size_t n = 0;

        memset(&e, 0, sizeof(e));
        e = (sd_bus_vtable) SD_BUS_VTABLE_START(0);
        add_entry(&v, &n, e);
        for (size_t i = 0; i < iface->nrows; i++) {
                const Row *row = &iface->rows[i];
                memset(&e, 0, sizeof(e));
                switch (row->type) {
                case ROW_METHOD:
                        e.type = _SD_BUS_VTABLE_METHOD;
                        e.flags = SD_BUS_VTABLE_UNPRIVILEGED;
                        e.x.method.member = row->member;
                        e.x.method.signature = row->in_sig;
                        e.x.method.result = row->out_sig;
                        e.x.method.handler = handler;
                        e.x.method.names = row->names;
                        break;
                case ROW_PROPERTY: {
                        const FactDesc *f = &kind_get(iface->kind)->facts[row->fact];
                        e.type = row->setter ? _SD_BUS_VTABLE_WRITABLE_PROPERTY : _SD_BUS_VTABLE_PROPERTY;
                        e.flags = (f->flags & FACT_CONST) ? SD_BUS_VTABLE_PROPERTY_CONST
                                                          : SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE;
                        if (row->setter)
                                e.flags |= SD_BUS_VTABLE_UNPRIVILEGED;
                        e.x.property.member = row->member;
                        e.x.property.signature = row->out_sig;
                        e.x.property.get = property_get;
                        e.x.property.set = row->setter ? property_set_unreachable : NULL;
                        e.x.property.offset = fact_offset(row->fact);
                        break;
                }
                case ROW_SIGNAL:
                        e.type = _SD_BUS_VTABLE_SIGNAL;
                        e.x.signal.member = row->member;
                        e.x.signal.signature = row->in_sig;
                        e.x.signal.names = row->names;
                        break;
                }
                add_entry(&v, &n, e);
        }
        memset(&e, 0, sizeof(e));
        e = (sd_bus_vtable) SD_BUS_VTABLE_END;
        add_entry(&v, &n, e);
        return v;
}

#include "marshal.h"

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Row *row = interface_row(interface_by_name(interface), ROW_PROPERTY, property);

        if (!row)
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property %s.%s", interface,
                                         property);
        return marshal_write(reply, row->out_sig, userdata);
}

static const char standard_interfaces[] =
        " <interface name=\"org.freedesktop.DBus.Peer\">\n"
        "  <method name=\"Ping\"/>\n"
        "  <method name=\"GetMachineId\">\n"
        "   <arg type=\"s\" name=\"machine_uuid\" direction=\"out\"/>\n"
        "  </method>\n"
        " </interface>\n"
        " <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
        "  <method name=\"Introspect\">\n"
        "   <arg name=\"xml_data\" type=\"s\" direction=\"out\"/>\n"
        "  </method>\n"
        " </interface>\n";

static const char properties_interface[] =
        " <interface name=\"org.freedesktop.DBus.Properties\">\n"
        "  <method name=\"Get\">\n"
        "   <arg name=\"interface_name\" direction=\"in\" type=\"s\"/>\n"
        "   <arg name=\"property_name\" direction=\"in\" type=\"s\"/>\n"
        "   <arg name=\"value\" direction=\"out\" type=\"v\"/>\n"
        "  </method>\n"
        "  <method name=\"GetAll\">\n"
        "   <arg name=\"interface_name\" direction=\"in\" type=\"s\"/>\n"
        "   <arg name=\"props\" direction=\"out\" type=\"a{sv}\"/>\n"
        "  </method>\n"
        "  <method name=\"Set\">\n"
        "   <arg name=\"interface_name\" direction=\"in\" type=\"s\"/>\n"
        "   <arg name=\"property_name\" direction=\"in\" type=\"s\"/>\n"
        "   <arg name=\"value\" direction=\"in\" type=\"v\"/>\n"
        "  </method>\n"
        "  <signal name=\"PropertiesChanged\">\n"
        "   <arg type=\"s\" name=\"interface_name\"/>\n"
        "   <arg type=\"a{sv}\" name=\"changed_properties\"/>\n"
        "   <arg type=\"as\" name=\"invalidated_properties\"/>\n"
        "  </signal>\n"
        " </interface>\n";

/* Writes one <arg/> per complete type of @sig, named from @names (which
 * advances past them). */
static void write_args(FILE *f, const char *sig, const char **names, const char *direction) {
        while (sig && *sig) {
                size_t l = signature_first_len(sig);
                fprintf(f, "   <arg type=\"%.*s\" name=\"%s\"", (int) l, sig, *names);
                if (direction)
                        fprintf(f, " direction=\"%s\"", direction);
                fputs("/>\n", f);
                *names += strlen(*names) + 1;
                sig += l;
        }
}

char *bus_introspect(const Interface *iface, char *const *children) {
        char *xml = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&xml, &len);

        if (!f)
                abort();
        fputs("<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
              "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
              "<node>\n", f);
        fputs(standard_interfaces, f);
        if (iface) {
                bool props = false;
                for (size_t i = 0; i < iface->nrows; i++)
                        props = props || iface->rows[i].type == ROW_PROPERTY;
                if (props)
                        fputs(properties_interface, f);
                fprintf(f, " <interface name=\"%s\">\n", iface->name);
                for (size_t i = 0; i < iface->nrows; i++) {
                        const Row *row = &iface->rows[i];
                        const char *names = row->names;
                        switch (row->type) {
                        case ROW_METHOD:
                                fprintf(f, "  <method name=\"%s\">\n", row->member);
                                write_args(f, row->in_sig, &names, "in");
                                write_args(f, row->out_sig, &names, "out");
                                fputs("  </method>\n", f);
                                break;
                        case ROW_SIGNAL:
                                fprintf(f, "  <signal name=\"%s\">\n", row->member);
                                write_args(f, row->in_sig, &names, NULL);
                                fputs("  </signal>\n", f);
                                break;
                        case ROW_PROPERTY: {
                                const FactDesc *fd = &kind_get(iface->kind)->facts[row->fact];
                                fprintf(f, "  <property name=\"%s\" type=\"%s\" access=\"%s\">\n", row->member,
                                        row->out_sig, row->setter ? "readwrite" : "read");
                                if (fd->flags & FACT_CONST)
                                        fputs("   <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\""
                                              " value=\"const\"/>\n", f);
                                fputs("  </property>\n", f);
                                break;
                        }
                        }
                }
                fputs(" </interface>\n", f);
        }
        for (char *const *c = children; c && *c; c++)
                fprintf(f, " <node name=\"%s\"/>\n", *c);
        fputs("</node>\n", f);
        fclose(f);
        return xml;
}
