// A throwaway certificate authority and server certificates for 127.0.0.1, made with
// the openssl CLI in a temp directory, for the TLS tests. Each certificate has its own
// serial number, so a test can tell which one a server presented.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

// EC P-256: keys are made in milliseconds, where RSA takes a noticeable while.
const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

class TestCa {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "relay-tls-"));
    this.ca = path.join(this.dir, "ca.pem");
    this.caKey = path.join(this.dir, "ca.key");
    this.openssl("req", "-x509", ...KEY, "-keyout", this.caKey, "-out", this.ca, "-days", "2",
      "-subj", "/CN=Relay test CA", "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    this.serials = 0;
  }

  openssl(...args) {
    try {
      execFileSync("openssl", args, { cwd: this.dir, stdio: "pipe" });
    } catch (e) {
      throw new Error(`openssl ${args.join(" ")} failed: ${e.stderr}`);
    }
  }

  /** The CA's certificate, for a client's `ca` option. */
  caPem() {
    return fs.readFileSync(this.ca);
  }

  /**
   * A server certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1) signed by the CA.
   * @returns {{cert: string, key: string, serial: string}} the PEM files and the serial
   *   number as node:tls reports it (upper-case hex)
   */
  issue(name) {
    this.serials += 1;
    const serial = (0x1000 + this.serials).toString(16).toUpperCase();
    const cert = path.join(this.dir, `${name}.pem`);
    const key = path.join(this.dir, `${name}.key`);
    const csr = path.join(this.dir, `${name}.csr`);
    const ext = path.join(this.dir, `${name}.ext`);
    fs.writeFileSync(ext, [
      "subjectAltName=IP:127.0.0.1",
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
    ].join("\n") + "\n");
    this.openssl("req", ...KEY, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1");
    this.openssl("x509", "-req", "-in", csr, "-CA", this.ca, "-CAkey", this.caKey,
      "-set_serial", `0x${serial}`, "-days", "2", "-extfile", ext, "-out", cert);
    return { cert, key, serial };
  }

  remove() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { TestCa };
