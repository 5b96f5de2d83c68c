using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace Spike.Tests.Dashboard;

/// <summary>
/// Debian's headless Chromium driven by Playwright, opening the dashboard as a visitor would. Launched only where
/// <see cref="ChromiumFactAttribute"/> finds the browser (the facts that use it are skipped elsewhere).
/// </summary>
public sealed class DashboardBrowser : IAsyncLifetime
{
    /// <summary>Long enough for a value that moves once a second behind a loaded machine's event stream.</summary>
    public static readonly LocatorAssertionsToHaveTextOptions Soon = new() { Timeout = 15_000 };

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Errors the pages' scripts threw.</summary>
    public List<string> PageErrors { get; } = [];

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumFactAttribute.ExecutablePath))
        {
            return;
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumFactAttribute.ExecutablePath, Headless = true });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }

    /// <summary>A new page showing the dashboard of the node at <paramref name="nodeUrl"/>.</summary>
    public async Task<IPage> OpenAsync(Uri nodeUrl)
    {
        var page = await _browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        page.PageError += (_, error) => PageErrors.Add(error);
        await page.GotoAsync(new Uri(nodeUrl, "/dashboard").ToString());
        return page;
    }

    /// <summary>The card of one sale.</summary>
    public static ILocator SaleCard(IPage page, string sale) => page.Locator($".sale[data-sale=\"{sale}\"]");

    /// <summary>
    /// The card comes to show exactly the numbers of <paramref name="sale"/> (as the admin API answered them): those
    /// that no longer move once the buys stop.
    /// </summary>
    public static async Task ExpectSameNumbersAsync(ILocator card, JsonElement sale)
    {
        foreach (var (field, property) in new[] { ("total", "total"), ("sold", "held"), ("available", "available"), ("reserved", "reserved"), ("paid", "paid") })
        {
            var expected = sale.GetProperty(property).GetInt64().ToString("N0", CultureInfo.InvariantCulture);
            await Assertions.Expect(card.Locator($"[data-field={field}]")).ToHaveTextAsync(expected, Soon);
        }
    }
}
