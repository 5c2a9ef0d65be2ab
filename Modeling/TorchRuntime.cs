using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// libtorch as the fleet runs it, set before the first tensor operation (a module initializer: this assembly holds
/// every network the fleet runs). libtorch 2.10.0 runs a CPU LSTM through oneDNN: with autograd on (training) on a
/// reference kernel, under <c>no_grad</c> (validation loss, test metrics, the gate, Inference) on an ISA-specific
/// inference kernel. On AVX-512 hosts (measured on AMD EPYC Zen 4) the AVX-512 f32 inference kernel computes another
/// function than the LSTM for some hidden sizes (4, 8, 12, 16, 40, 48: outputs up to 1.0 away), so a model would be
/// early-stopped, scored and served as a different function than it was trained as. Capping oneDNN at AVX2
/// (<c>ONEDNN_MAX_CPU_ISA</c>, read by oneDNN when it first dispatches) selects kernels that compute the LSTM on every
/// CPU; LstmKernelTests checks it. An operator's own <c>ONEDNN_MAX_CPU_ISA</c> is kept.
/// </summary>
public static class TorchRuntime
{
    public const string OneDnnIsaVariable = "ONEDNN_MAX_CPU_ISA";
    public const string OneDnnIsa = "AVX2";
    static readonly Lock Gate = new();
    static bool _configured;

    /// <summary>The oneDNN ISA cap in force: the operator's, or <see cref="OneDnnIsa"/>.</summary>
    public static string? EffectiveOneDnnIsa { get; private set; }

#pragma warning disable CA2255 // the module initializer is the point: before any network of this assembly runs
    [ModuleInitializer]
    internal static void Initialize() => Configure();
#pragma warning restore CA2255

    /// <summary>Idempotent; call it before the first tensor operation in a process that uses libtorch outside this assembly.</summary>
    public static void Configure()
    {
        lock (Gate)
        {
            if (_configured)
                return;
            _configured = true;
            var own = Environment.GetEnvironmentVariable(OneDnnIsaVariable);
            if (!string.IsNullOrEmpty(own))
            {
                EffectiveOneDnnIsa = own;
                return;
            }

            // The native environment, which oneDNN reads (on Unix, Environment.SetEnvironmentVariable changes .NET's copy only).
            if (OperatingSystem.IsLinux() ? LinuxSetEnv(OneDnnIsaVariable, OneDnnIsa, 0) == 0
                : OperatingSystem.IsMacOS() ? MacSetEnv(OneDnnIsaVariable, OneDnnIsa, 0) == 0
                : SetWindowsEnv(OneDnnIsaVariable, OneDnnIsa) == 0)
                EffectiveOneDnnIsa = OneDnnIsa;
            Environment.SetEnvironmentVariable(OneDnnIsaVariable, OneDnnIsa); // and child processes
        }
    }

    [DllImport("libc.so.6", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    static extern int LinuxSetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    static extern int MacSetEnv(string name, string value, int overwrite);

    [DllImport("ucrtbase", EntryPoint = "_putenv_s", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    static extern int SetWindowsEnv(string name, string value);
}
