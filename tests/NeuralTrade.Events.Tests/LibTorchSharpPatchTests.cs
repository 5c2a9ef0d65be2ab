using NeuralTrade.Events.Build;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The build marks what libLibTorchSharp.so needs from a too-old libstdc++ weak (build/ElfVersionNeeds.cs, DESIGN.md §9),
/// with no patchelf and no shim library. These tests check, on the files the build actually ships, the facts that make
/// that sound; a TorchSharp upgrade that breaks one of them fails here instead of at a user's first run.
/// </summary>
public sealed class LibTorchSharpPatchTests
{
    private const string Marker = "_ZSt21ios_base_library_initv";
    private static readonly string NativeDir = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
    private static string LibTorchSharp => Path.Combine(NativeDir, "libLibTorchSharp.so");

    [SetUp]
    public void OnLinux()
    {
        Assume.That(OperatingSystem.IsLinux() && File.Exists(LibTorchSharp), "the linux-x64 native files are in the test output");
    }

    [Test]
    public void Glibcxx_3_4_32_is_needed_only_for_the_iostream_marker_which_no_relocation_refers_to()
    {
        var library = ElfVersionNeeds.Read(LibTorchSharp);
        var need = library.Needs.Single(n => n.Version == "GLIBCXX_3.4.32");
        var carrying = Enumerable.Range(0, library.Symbols.Count).Where(i => library.Symbols[i].Version == need.Index).ToList();

        Assert.That(carrying.Select(i => library.Symbols[i].Name), Is.EqualTo(new[] { Marker }), "symbols versioned GLIBCXX_3.4.32");
        Assert.That(carrying.Any(i => library.Symbols[i].Defined), Is.False, "the marker is an undefined reference");
        Assert.That(carrying.Where(library.RelocatedSymbols.Contains), Is.Empty,
            "no relocation refers to the marker, so the loader never binds it and a missing definition cannot matter");
        Assert.That(library.Needs.Where(n => n.File == "libstdc++.so.6").Select(n => n.Version).Where(IsNewerThan3_4_30), Is.EqualTo(new[] { "GLIBCXX_3.4.32" }),
            "no other version past Debian 12's GLIBCXX_3.4.30 is needed");
    }

    [Test]
    public void The_standard_streams_are_constructed_by_a_dependency_that_initialises_first()
    {
        // GCC 13 moved the construction of std::cout/cerr into libstdc++ itself and marks objects that rely on it with the
        // marker. A GCC 12 libstdc++ does not construct them on its own; libtorch_cpu.so (GCC 9) does, through the static
        // std::ios_base::Init of each translation unit that includes <iostream>. It is a DT_NEEDED dependency of
        // libLibTorchSharp.so, and the loader runs a dependency's initialisers before the library's own.
        var library = ElfVersionNeeds.Read(LibTorchSharp);
        Assert.That(library.Needed, Does.Contain("libtorch_cpu.so"));

        var torchCpu = ElfVersionNeeds.Read(Path.Combine(NativeDir, "libtorch_cpu.so"));
        var init = torchCpu.Symbols.Select((s, i) => (s, i)).Where(x => x.s.Name == "_ZNSt8ios_base4InitC1Ev").ToList();
        Assert.That(init, Has.Count.EqualTo(1), "libtorch_cpu.so calls std::ios_base::Init::Init()");
        Assert.That(torchCpu.RelocatedSymbols, Does.Contain(init[0].i), "and a relocation binds that call");
    }

    [Test]
    public void On_a_libstdcxx_without_the_version_the_output_copy_is_weakened_and_weakening_again_changes_nothing()
    {
        var system = ElfVersionNeeds.FindSystemLibStdCxx();
        Assume.That(system, Is.Not.Null, "a system libstdc++");
        var lacks = !ElfVersionNeeds.Read(system!).Definitions.Contains("GLIBCXX_3.4.32");
        var need = ElfVersionNeeds.Read(LibTorchSharp).Needs.Single(n => n.Version == "GLIBCXX_3.4.32");
        Assert.That(need.IsWeak, Is.EqualTo(lacks), $"the build weakens the need exactly where {system} lacks GLIBCXX_3.4.32");
        Assume.That(lacks, "this machine's libstdc++ lacks GLIBCXX_3.4.32 (Debian 12)");

        // An unpatched copy: the output's copy with the flag cleared, as the package ships it.
        var dir = Directory.CreateTempSubdirectory("nt-elf-");
        try
        {
            var copy = Path.Combine(dir.FullName, "libLibTorchSharp.so");
            var bytes = File.ReadAllBytes(LibTorchSharp);
            bytes[need.FlagsOffset] &= unchecked((byte)~ElfVersionNeeds.VerFlagWeak);
            File.WriteAllBytes(copy, bytes);
            var stamp = new DateTime(2024, 1, 15, 10, 30, 0, DateTimeKind.Utc);
            File.SetLastWriteTimeUtc(copy, stamp);
            Assert.That(ElfVersionNeeds.Read(copy).Needs.Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak, Is.False);

            var first = ElfVersionNeeds.WeakenMissing(copy, system!, [Marker]);
            var second = ElfVersionNeeds.WeakenMissing(copy, system!, [Marker]);

            Assert.That(first, Has.Count.EqualTo(1).And.Some.StartsWith("GLIBCXX_3.4.32 marked weak"));
            Assert.That(second, Has.Count.EqualTo(1).And.Some.StartsWith("GLIBCXX_3.4.32 already weak"));
            Assert.That(File.ReadAllBytes(copy), Is.EqualTo(File.ReadAllBytes(LibTorchSharp)), "two bytes changed, the same as the build's copy");
            Assert.That(File.GetLastWriteTimeUtc(copy), Is.EqualTo(stamp), "the timestamp is kept, so an incremental build leaves the copy alone");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void Weakening_is_refused_when_a_missing_version_carries_symbols_the_library_calls()
    {
        // libc10.so defines no GLIBCXX version at all: as a provider, every libstdc++ need is missing, including ones for
        // functions that relocations bind. Weakening those would turn a clear load error into a crash later; it is refused.
        var dir = Directory.CreateTempSubdirectory("nt-elf-");
        try
        {
            var copy = Path.Combine(dir.FullName, "libLibTorchSharp.so");
            File.Copy(LibTorchSharp, copy);
            var before = File.ReadAllBytes(copy);

            var refusal = Assert.Throws<InvalidOperationException>(() => ElfVersionNeeds.WeakenMissing(copy, Path.Combine(NativeDir, "libc10.so"), [Marker]));

            Assert.That(refusal!.Message, Does.Contain("would not be sound").And.Contain("GLIBCXX_3.4"));
            Assert.That(File.ReadAllBytes(copy), Is.EqualTo(before), "nothing was changed");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static bool IsNewerThan3_4_30(string version) =>
        version.StartsWith("GLIBCXX_3.4.", StringComparison.Ordinal) && int.Parse(version["GLIBCXX_3.4.".Length..], System.Globalization.CultureInfo.InvariantCulture) > 30;
}
