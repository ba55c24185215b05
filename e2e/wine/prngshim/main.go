// Command prngshim writes bcryptprimitives.dll for a Wine prefix whose Wine
// does not ship one (Wine 8.0, Debian 12's wine64; Wine 9 added it).
//
// Go programs for Windows (Go 1.22 and later) load bcryptprimitives.dll at
// start-up and call its ProcessPrng for random bytes; every Windows 10 and 11
// has it, Wine 8.0 does not, and the program dies with "fatal error:
// bcryptprimitives.dll not found" before main. The DLL written here holds no
// code: its one export, ProcessPrng, is a forwarder to
// advapi32.SystemFunction036 (RtlGenRandom), which Wine 8.0 has and which takes
// the same two arguments (buffer, length) and returns non-zero on success.
//
// Usage (the e2e/wine.sh script does this once per prefix):
//
//	prngshim -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "bcryptprimitives.dll", "file to write")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "prngshim: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := os.WriteFile(*out, forwarderDLL("bcryptprimitives.dll", "ProcessPrng", "advapi32.SystemFunction036"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "prngshim:", err)
		os.Exit(1)
	}
}

// PE32+ layout: headers in the first fileAlign bytes, one read-only section
// at RVA sectionRVA holding the export directory.
const (
	fileAlign    = 0x200
	sectionAlign = 0x1000
	sectionRVA   = 0x1000
	imageBase    = 0x180000000
	peOffset     = 0x40
)

// forwarderDLL returns an x86-64 DLL named dllName whose only export, export,
// forwards to target ("module.Function").
func forwarderDLL(dllName, export, target string) []byte {
	// Export section: directory (40 bytes), address table (1 entry), name
	// pointer table (1 entry), ordinal table (1 entry), then the strings.
	const dirSize = 40
	eat := uint32(dirSize)
	npt := eat + 4
	ord := npt + 4
	strs := ord + 2
	var s bytes.Buffer
	nameOff := strs + uint32(s.Len())
	s.WriteString(dllName + "\x00")
	exportOff := strs + uint32(s.Len())
	s.WriteString(export + "\x00")
	targetOff := strs + uint32(s.Len())
	s.WriteString(target + "\x00")
	exportSize := strs + uint32(s.Len())

	sec := new(bytes.Buffer)
	le := func(v any) { _ = binary.Write(sec, binary.LittleEndian, v) }
	le(uint32(0))                      // Characteristics
	le(uint32(0))                      // TimeDateStamp (fixed: reproducible)
	le(uint16(0))                      // MajorVersion
	le(uint16(0))                      // MinorVersion
	le(uint32(sectionRVA + nameOff))   // Name
	le(uint32(1))                      // Base (first ordinal)
	le(uint32(1))                      // NumberOfFunctions
	le(uint32(1))                      // NumberOfNames
	le(uint32(sectionRVA + eat))       // AddressOfFunctions
	le(uint32(sectionRVA + npt))       // AddressOfNames
	le(uint32(sectionRVA + ord))       // AddressOfNameOrdinals
	le(uint32(sectionRVA + targetOff)) // EAT[0]: inside the export directory, so a forwarder
	le(uint32(sectionRVA + exportOff)) // names[0]
	le(uint16(0))                      // ordinals[0]
	sec.Write(s.Bytes())
	raw := alignUp(uint32(sec.Len()), fileAlign)
	sec.Write(make([]byte, raw-uint32(sec.Len())))

	h := new(bytes.Buffer)
	w := func(v any) { _ = binary.Write(h, binary.LittleEndian, v) }
	// DOS header: only e_magic and e_lfanew matter.
	dos := make([]byte, peOffset)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3c:], peOffset)
	h.Write(dos)
	h.WriteString("PE\x00\x00")
	// COFF file header.
	w(uint16(0x8664))                   // Machine: AMD64
	w(uint16(1))                        // NumberOfSections
	w(uint32(0))                        // TimeDateStamp
	w(uint32(0))                        // PointerToSymbolTable
	w(uint32(0))                        // NumberOfSymbols
	w(uint16(240))                      // SizeOfOptionalHeader (PE32+)
	w(uint16(0x0002 | 0x0020 | 0x2000)) // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE | DLL
	// Optional header, PE32+.
	w(uint16(0x20b))                                         // Magic
	w(uint8(14))                                             // MajorLinkerVersion
	w(uint8(0))                                              // MinorLinkerVersion
	w(uint32(0))                                             // SizeOfCode
	w(raw)                                                   // SizeOfInitializedData
	w(uint32(0))                                             // SizeOfUninitializedData
	w(uint32(0))                                             // AddressOfEntryPoint: none (no DllMain)
	w(uint32(sectionRVA))                                    // BaseOfCode
	w(uint64(imageBase))                                     // ImageBase
	w(uint32(sectionAlign))                                  // SectionAlignment
	w(uint32(fileAlign))                                     // FileAlignment
	w(uint16(6))                                             // MajorOperatingSystemVersion
	w(uint16(0))                                             // MinorOperatingSystemVersion
	w(uint16(0))                                             // MajorImageVersion
	w(uint16(0))                                             // MinorImageVersion
	w(uint16(6))                                             // MajorSubsystemVersion
	w(uint16(0))                                             // MinorSubsystemVersion
	w(uint32(0))                                             // Win32VersionValue
	w(sectionRVA + alignUp(uint32(sec.Len()), sectionAlign)) // SizeOfImage
	w(uint32(fileAlign))                                     // SizeOfHeaders
	w(uint32(0))                                             // CheckSum
	w(uint16(3))                                             // Subsystem: console
	w(uint16(0x0100))                                        // DllCharacteristics: NX_COMPAT
	w(uint64(0x100000))                                      // SizeOfStackReserve
	w(uint64(0x1000))                                        // SizeOfStackCommit
	w(uint64(0x100000))                                      // SizeOfHeapReserve
	w(uint64(0x1000))                                        // SizeOfHeapCommit
	w(uint32(0))                                             // LoaderFlags
	w(uint32(16))                                            // NumberOfRvaAndSizes
	w(uint32(sectionRVA))                                    // DataDirectory[EXPORT].VirtualAddress
	w(exportSize)                                            // DataDirectory[EXPORT].Size
	h.Write(make([]byte, 15*8))                              // the other directories: none
	// Section header.
	var name [8]byte
	copy(name[:], ".rdata")
	h.Write(name[:])
	w(exportSize)                // VirtualSize
	w(uint32(sectionRVA))        // VirtualAddress
	w(raw)                       // SizeOfRawData
	w(uint32(fileAlign))         // PointerToRawData
	w(uint32(0))                 // PointerToRelocations
	w(uint32(0))                 // PointerToLinenumbers
	w(uint16(0))                 // NumberOfRelocations
	w(uint16(0))                 // NumberOfLinenumbers
	w(uint32(0x40 | 0x40000000)) // INITIALIZED_DATA | MEM_READ
	h.Write(make([]byte, fileAlign-h.Len()))

	return append(h.Bytes(), sec.Bytes()...)
}

func alignUp(n, a uint32) uint32 { return (n + a - 1) / a * a }
