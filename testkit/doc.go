// Package testkit holds the helpers that tests across the module share and that fake no
// single package: golden files (the expected output kept under a package's testdata/,
// rewritten when the test runs with -update, a flag each test package declares for itself)
// and QR codes decoded from images. Test doubles do not belong here: they stand beside what
// they fake (mqtt/mqtttest, the printer doubles beside escpos). Only tests import it.
package testkit
