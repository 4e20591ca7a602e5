// An ordinary shared library: loadable, but not a Relay plugin.
extern "C" int not_a_relay_plugin() {
    return 42;
}
