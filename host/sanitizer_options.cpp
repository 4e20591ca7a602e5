// Built into the relay binary only with RELAY_SANITIZE (see CMakeLists.txt).
//
// LeakSanitizer of GCC 12 crashes at exit ("Tracer caught signal 11", a bogus DTLS
// range) once enough dlopen'ed libraries use thread-local storage, as `relay plugins`
// does with a dozen plugins loaded. Not tracking __tls_get_addr avoids it; leak
// checking itself stays on. The environment's ASAN_OPTIONS still override this.
// The name is AddressSanitizer's hook: reserved on purpose.
// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
extern "C" const char* __asan_default_options();

extern "C" const char* __asan_default_options() {
    return "intercept_tls_get_addr=0";
}
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
