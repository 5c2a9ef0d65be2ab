// TorchSharp on Debian 12 (DESIGN.md §9), with nothing but the .NET SDK.
//
// TorchSharp 0.107.0's libLibTorchSharp.so was linked by GCC 13+ and records a need for GLIBCXX_3.4.32 for one symbol,
// std::ios_base_library_init(). Debian 12's libstdc++ (GCC 12) stops at GLIBCXX_3.4.30, so the dynamic loader refuses
// the library. GCC 13's <iostream> emits that symbol only as a link-time marker (`.globl`, never called), to pull in a
// libstdc++ that constructs the standard streams itself. Here that is sound to drop because:
//   1. no relocation refers to the marker, so the loader never binds it (checked below, per file, before any edit);
//   2. every symbol needing a missing version is such an unreferenced marker (checked below);
//   3. libtorch_cpu.so, a DT_NEEDED dependency built by GCC 9, constructs std::ios_base::Init in its own static
//      initialisers, and a dependency's initialisers run before the library's own, so std::cout and std::cerr exist
//      before libLibTorchSharp runs any code (checked by LibTorchSharpPatchTests against the package's files).
// The edit is VER_FLG_WEAK on the version's Elf64_Vernaux entry: two bytes, in place, on the build output's copy only.
// A weak version need that the loaded library lacks is not an error for glibc's loader (dl-version.c, match_symbol).
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory (the WeakenMissingLibStdCxxVersions task in
// Directory.Build.targets) and into the unit tests (NEURALTRADE_TESTS defined), which test the same code.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace NeuralTrade.Events.Build;

/// <summary>What the loader needs from one library, read from its ELF dynamic sections.</summary>
public sealed class ElfVersionNeeds
{
    public const ushort VerFlagWeak = 0x2;

    /// <summary>One Elf64_Vernaux entry: a version needed from a file. (A class, not a record: MSBuild compiles this
    /// file against netstandard2.0.)</summary>
    public sealed class Need
    {
        public Need(string file, string version, ushort index, ushort flags, long flagsOffset)
        {
            File = file;
            Version = version;
            Index = index;
            Flags = flags;
            FlagsOffset = flagsOffset;
        }

        public string File { get; }
        public string Version { get; }
        public ushort Index { get; }
        public ushort Flags { get; }
        public long FlagsOffset { get; }
        public bool IsWeak => (Flags & VerFlagWeak) != 0;
    }

    public IReadOnlyList<string> Needed { get; }
    public IReadOnlyList<Need> Needs { get; }
    /// <summary>Dynamic symbols by index: name and version index (0 when unversioned).</summary>
    public IReadOnlyList<(string Name, ushort Version, bool Defined)> Symbols { get; }
    /// <summary>Indexes of dynamic symbols that some relocation (.rela.dyn, .rela.plt) refers to.</summary>
    public ICollection<int> RelocatedSymbols { get; }
    /// <summary>Version names this file defines (.gnu.version_d), for a library such as libstdc++.</summary>
    public ICollection<string> Definitions { get; }

    private ElfVersionNeeds(List<string> needed, List<Need> needs, List<(string, ushort, bool)> symbols, HashSet<int> relocated, HashSet<string> definitions)
    {
        Needed = needed;
        Needs = needs;
        Symbols = symbols;
        RelocatedSymbols = relocated;
        Definitions = definitions;
    }

    public static ElfVersionNeeds Read(string path) => Parse(File.ReadAllBytes(path), path);

    public static ElfVersionNeeds Parse(byte[] elf, string name)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException($"{name} is not an ELF file.");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException($"{name} is not a 64-bit little-endian ELF file.");

        var sections = Sections(elf);
        var dynsymIndex = Array.FindIndex(sections, s => s.Type == ShtDynsym);
        if (dynsymIndex < 0) throw new InvalidDataException($"{name} has no dynamic symbol table.");
        var relocated = new HashSet<int>();
        foreach (var rela in sections.Where(s => s.Type == ShtRela && s.Link == dynsymIndex))
            for (long r = 0; r < rela.Size / 24; r++)
                relocated.Add((int)(U64(elf, rela.Offset + r * 24 + 8) >> 32));
        return new ElfVersionNeeds(ReadNeeded(elf, sections), ReadNeeds(elf, sections), ReadSymbols(elf, sections, dynsymIndex), relocated,
            ReadDefinitions(elf, sections));
    }

    const uint ShtDynsym = 11, ShtRela = 4, ShtDynamic = 6, ShtVersym = 0x6fffffff, ShtVerneed = 0x6ffffffe, ShtVerdef = 0x6ffffffd;

    static (uint Type, long Offset, long Size, int Link, int Info)[] Sections(byte[] elf)
    {
        var shoff = checked((int)U64(elf, 0x28));
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        var sections = new (uint Type, long Offset, long Size, int Link, int Info)[shnum];
        for (var i = 0; i < shnum; i++)
        {
            var s = shoff + i * shentsize;
            sections[i] = (U32(elf, s + 4), (long)U64(elf, s + 24), (long)U64(elf, s + 32), (int)U32(elf, s + 40), (int)U32(elf, s + 44));
        }
        return sections;
    }

    static List<(string, ushort, bool)> ReadSymbols(byte[] elf, (uint Type, long Offset, long Size, int Link, int Info)[] sections, int dynsymIndex)
    {
        var dynsym = sections[dynsymIndex];
        var dynstr = sections[dynsym.Link].Offset;
        var versym = sections.FirstOrDefault(s => s.Type == ShtVersym);
        var symbolCount = (int)(dynsym.Size / 24);
        var symbols = new List<(string, ushort, bool)>(symbolCount);
        for (var i = 0; i < symbolCount; i++)
        {
            var e = dynsym.Offset + i * 24;
            var version = versym.Type == ShtVersym ? (ushort)(U16(elf, versym.Offset + i * 2) & 0x7fff) : (ushort)0;
            symbols.Add((Str(elf, dynstr + U32(elf, e)), version, U16(elf, e + 6) != 0));
        }
        return symbols;
    }

    static List<string> ReadNeeded(byte[] elf, (uint Type, long Offset, long Size, int Link, int Info)[] sections)
    {
        var needed = new List<string>();
        var dynamic = sections.FirstOrDefault(s => s.Type == ShtDynamic);
        if (dynamic.Type != ShtDynamic)
            return needed;
        for (long d = 0; d < dynamic.Size / 16; d++)
        {
            var tag = (long)U64(elf, dynamic.Offset + d * 16);
            if (tag == 0) break;
            if (tag == 1) needed.Add(Str(elf, sections[dynamic.Link].Offset + (long)U64(elf, dynamic.Offset + d * 16 + 8)));
        }
        return needed;
    }

    static List<Need> ReadNeeds(byte[] elf, (uint Type, long Offset, long Size, int Link, int Info)[] sections)
    {
        var needs = new List<Need>();
        var verneed = sections.FirstOrDefault(s => s.Type == ShtVerneed);
        if (verneed.Type != ShtVerneed)
            return needs;
        var strtab = sections[verneed.Link].Offset;
        var vn = verneed.Offset;
        for (var i = 0; i < verneed.Info; i++)
        {
            int count = U16(elf, vn + 2);
            var file = Str(elf, strtab + U32(elf, vn + 4));
            var va = vn + U32(elf, vn + 8);
            for (var j = 0; j < count; j++)
            {
                needs.Add(new Need(file, Str(elf, strtab + U32(elf, va + 8)), U16(elf, va + 6), U16(elf, va + 4), va + 4));
                var nextAux = U32(elf, va + 12);
                if (nextAux == 0) break;
                va += nextAux;
            }
            var next = U32(elf, vn + 12);
            if (next == 0) break;
            vn += next;
        }
        return needs;
    }

    static HashSet<string> ReadDefinitions(byte[] elf, (uint Type, long Offset, long Size, int Link, int Info)[] sections)
    {
        var definitions = new HashSet<string>(StringComparer.Ordinal);
        var verdef = sections.FirstOrDefault(s => s.Type == ShtVerdef);
        if (verdef.Type != ShtVerdef)
            return definitions;
        var strtab = sections[verdef.Link].Offset;
        var vd = verdef.Offset;
        for (var i = 0; i < verdef.Info; i++)
        {
            var aux = vd + U32(elf, vd + 12);
            definitions.Add(Str(elf, strtab + U32(elf, aux)));
            var next = U32(elf, vd + 16);
            if (next == 0) break;
            vd += next;
        }
        return definitions;
    }

    /// <summary>
    /// Versions that <paramref name="library"/> needs from <paramref name="providerSoname"/> but <paramref name="provider"/>
    /// does not define; for each, the dynamic symbols that carry it and whether a relocation refers to any of them.
    /// </summary>
    public IReadOnlyList<(Need Need, IReadOnlyList<string> Symbols, bool Referenced)> MissingFrom(string providerSoname, ElfVersionNeeds provider) =>
        Needs.Where(n => n.File == providerSoname && !provider.Definitions.Contains(n.Version))
             .Select(n =>
             {
                 var carrying = Enumerable.Range(0, Symbols.Count).Where(i => Symbols[i].Version == n.Index).ToList();
                 return (n, (IReadOnlyList<string>)carrying.Select(i => Symbols[i].Name).ToList(), carrying.Any(RelocatedSymbols.Contains));
             })
             .ToList();

    /// <summary>
    /// Marks as weak every version <paramref name="path"/> needs from libstdc++ that <paramref name="libStdCxx"/> lacks,
    /// provided each is carried only by allowed, unreferenced marker symbols; otherwise changes nothing and says why.
    /// Keeps the file's timestamp, so an incremental build does not copy the original over it again.
    /// Returns what it did, one line per version; an empty list when nothing was missing.
    /// </summary>
    public static IReadOnlyList<string> WeakenMissing(string path, string libStdCxx, IReadOnlyCollection<string> allowedMarkers)
    {
        var provider = Read(libStdCxx);
        var bytes = File.ReadAllBytes(path);
        var library = Parse(bytes, path);
        var missing = library.MissingFrom("libstdc++.so.6", provider);
        var unsound = missing.Where(m => m.Referenced || m.Symbols.Any(s => !allowedMarkers.Contains(s))).ToList();
        if (unsound.Count > 0)
            throw new InvalidOperationException(
                $"{path} needs {string.Join(", ", unsound.Select(m => m.Need.Version))} from libstdc++, which {libStdCxx} lacks, for " +
                $"{string.Join(", ", unsound.SelectMany(m => m.Symbols).Distinct())}: " +
                "not only unreferenced link-time markers, so marking the need weak would not be sound. Use a system whose libstdc++ " +
                "has that version (GCC 13 or newer, e.g. the .NET 10 container images) or a TorchSharp built for this one.");

        var done = new List<string>();
        foreach (var (need, symbols, _) in missing)
        {
            if (need.IsWeak) { done.Add($"{need.Version} already weak ({string.Join(", ", symbols)})"); continue; }
            var flags = (ushort)(need.Flags | VerFlagWeak);
            bytes[need.FlagsOffset] = (byte)flags;
            bytes[need.FlagsOffset + 1] = (byte)(flags >> 8);
            done.Add($"{need.Version} marked weak ({string.Join(", ", symbols)}: an unreferenced marker)");
        }
        if (done.Count > 0 && missing.Any(m => !m.Need.IsWeak))
        {
            var stamp = File.GetLastWriteTimeUtc(path);
            var temporary = path + ".weakening";
            File.WriteAllBytes(temporary, bytes);
            File.SetLastWriteTimeUtc(temporary, stamp);
            File.Delete(path);   // if interrupted here, the next build copies the original again
            File.Move(temporary, path);
        }
        return done;
    }

    /// <summary>The libstdc++.so.6 the dynamic loader would find first on this machine, or null.</summary>
    public static string? FindSystemLibStdCxx() =>
        new[]
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        }.FirstOrDefault(File.Exists);

    private static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);
    private static uint U32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
    private static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

    private static string Str(byte[] b, long o)
    {
        var end = Array.IndexOf(b, (byte)0, checked((int)o));
        return Encoding.ASCII.GetString(b, (int)o, end - (int)o);
    }
}

#if !NEURALTRADE_TESTS
/// <summary>MSBuild task: weakens what the build output's native libraries need from a libstdc++ that lacks it.</summary>
public sealed class WeakenMissingLibStdCxxVersions : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

    /// <summary>Symbols known to be link-time markers only (GCC 13's iostream start-up).</summary>
    public string AllowedMarkers { get; set; } = "_ZSt21ios_base_library_initv";

    public override bool Execute()
    {
        var libStdCxx = ElfVersionNeeds.FindSystemLibStdCxx();
        if (libStdCxx is null)
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "No system libstdc++.so.6 found; nothing to check.");
            return true;
        }
        var allowed = AllowedMarkers.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries);
        foreach (var item in Libraries)
        {
            try
            {
                foreach (var line in ElfVersionNeeds.WeakenMissing(item.ItemSpec, libStdCxx, allowed))
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, $"{item.ItemSpec}: {line} for {libStdCxx}");
            }
            catch (Exception e) when (e is InvalidOperationException || e is InvalidDataException || e is IOException)
            {
                Log.LogError(null, "NT0001", null, item.ItemSpec, 0, 0, 0, 0, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }
}
#endif
