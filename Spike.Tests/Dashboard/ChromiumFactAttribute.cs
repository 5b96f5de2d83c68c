namespace Spike.Tests.Dashboard;

/// <summary>A fact that needs Debian's headless Chromium (<c>apt-get install chromium</c>; <c>./spike.sh test</c> installs it), skipped with that hint without it.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Where Debian's package puts it; Playwright's own browser download is not used.</summary>
    public const string ExecutablePath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ExecutablePath))
        {
            Skip = $"no Chromium at {ExecutablePath}: install it with  apt-get install -y chromium  (./spike.sh test does)";
        }
    }
}
