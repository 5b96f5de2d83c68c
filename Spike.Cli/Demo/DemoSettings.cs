using System.Globalization;

namespace Spike.Cli.Demo;

/// <summary>The demo's settings, from the <c>SPIKE_DEMO_*</c> environment variables (unset: the default).</summary>
/// <param name="Buyers">Unique buyers; by default three per ticket.</param>
/// <param name="Kill">Whether nodes are killed with SIGKILL halfway (<c>SPIKE_DEMO_KILL=0</c>: none).</param>
/// <param name="PayShare">Share of the orders that pay; <paramref name="CancelShare"/> cancel; the rest expire.</param>
public sealed record DemoSettings(
    long Stock, int Buyers, int Concurrency, bool Kill, int PaymentWindowSeconds, double PayShare, double CancelShare)
{
    /// <exception cref="FormatException">A variable is not a positive number, or the shares do not add up.</exception>
    public static DemoSettings FromEnvironment()
    {
        var stock = Positive("SPIKE_DEMO_STOCK", 10_000);
        var settings = new DemoSettings(
            Stock: stock,
            Buyers: (int)Positive("SPIKE_DEMO_BUYERS", 3 * stock),
            Concurrency: (int)Positive("SPIKE_DEMO_CONCURRENCY", 150),
            Kill: Environment.GetEnvironmentVariable("SPIKE_DEMO_KILL") is not "0",
            PaymentWindowSeconds: (int)Positive("SPIKE_DEMO_PAY_WINDOW", 30),
            PayShare: Share("SPIKE_DEMO_PAY_SHARE", 0.6),
            CancelShare: Share("SPIKE_DEMO_CANCEL_SHARE", 0.1));
        return Checkout.SharesProblem(settings.PayShare, settings.CancelShare) is { } problem
            ? throw new FormatException($"SPIKE_DEMO_PAY_SHARE and SPIKE_DEMO_CANCEL_SHARE: {problem}")
            : settings;
    }

    private static long Positive(string variable, long fallback)
    {
        if (Environment.GetEnvironmentVariable(variable) is not { Length: > 0 } text)
        {
            return fallback;
        }
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= int.MaxValue
            ? value
            : throw new FormatException($"{variable}='{text}': use a positive whole number");
    }

    private static double Share(string variable, double fallback)
    {
        if (Environment.GetEnvironmentVariable(variable) is not { Length: > 0 } text)
        {
            return fallback;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{variable}='{text}': use a share between 0 and 1, e.g. 0.6");
    }
}
