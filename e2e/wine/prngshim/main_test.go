package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"testing"
)

// TestForwarderDLL parses the DLL with debug/pe and follows its export table
// the way the Windows loader does: one name, ProcessPrng, whose address is a
// forwarder string inside the export directory.
func TestForwarderDLL(t *testing.T) {
	f, err := pe.NewFile(bytes.NewReader(forwarderDLL("bcryptprimitives.dll", "ProcessPrng", "advapi32.SystemFunction036")))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || f.Characteristics&pe.IMAGE_FILE_DLL == 0 {
		t.Fatalf("machine %#x characteristics %#x: want an AMD64 DLL", f.Machine, f.Characteristics)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatal("not PE32+")
	}
	dir := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	sec := f.Sections[0]
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	at := func(rva uint32) []byte { return data[rva-sec.VirtualAddress:] }
	cstr := func(rva uint32) string { b := at(rva); return string(b[:bytes.IndexByte(b, 0)]) }
	u32 := func(rva uint32) uint32 { return binary.LittleEndian.Uint32(at(rva)) }
	ed := dir.VirtualAddress
	if got := cstr(u32(ed + 12)); got != "bcryptprimitives.dll" {
		t.Errorf("DLL name %q", got)
	}
	if n := u32(ed + 24); n != 1 {
		t.Fatalf("%d names, want 1", n)
	}
	if got := cstr(u32(u32(ed + 32))); got != "ProcessPrng" {
		t.Errorf("export name %q", got)
	}
	ord := binary.LittleEndian.Uint16(at(u32(ed + 36)))
	fn := u32(u32(ed+28) + 4*uint32(ord))
	if fn < ed || fn >= ed+dir.Size {
		t.Fatalf("export address %#x is outside the export directory [%#x, %#x): not a forwarder", fn, ed, ed+dir.Size)
	}
	if got := cstr(fn); got != "advapi32.SystemFunction036" {
		t.Errorf("forwards to %q", got)
	}
}
