using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// Trust for a broker whose certificate a private CA signed (common inside a company): the chain must end at that CA
/// and the name must match; nothing else is relaxed. Without a CA file, the operating system's trust store decides.
/// </summary>
public static class TlsTrust
{
    /// <summary>Loads the first certificate of a PEM (or DER) file, with an error that names the file.</summary>
    public static X509Certificate2 LoadCa(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"The CA certificate file {path} does not exist.", path);
        try
        {
            return X509CertificateLoader.LoadCertificateFromFile(path);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidDataException($"{path} holds no readable certificate: {e.Message}", e);
        }
    }

    /// <summary>A validation callback that accepts a server certificate only if it chains to <paramref name="ca"/> and names the host.</summary>
    public static RemoteCertificateValidationCallback ChainsTo(X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        return (_, certificate, _, errors) =>
        {
            if (errors == SslPolicyErrors.None)
                return true;
            if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
                return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var server = new X509Certificate2(certificate);
            return chain.Build(server);
        };
    }
}
