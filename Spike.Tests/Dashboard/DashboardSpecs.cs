using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Dashboard;

/// <summary>The dashboard in a real headless Chromium, against a real node on a loopback port.</summary>
public sealed class DashboardSpecs(LoopbackSpikeAppFixture app, DashboardBrowser browser)
    : IClassFixture<LoopbackSpikeAppFixture>, IClassFixture<DashboardBrowser>
{
    /// <summary>Set to a file path to keep a screenshot of the page during the sale (docs/dashboard.png is one).</summary>
    private const string ScreenshotVariable = "SPIKE_DASHBOARD_SCREENSHOT";
    private static readonly LocatorAssertionsToHaveTextOptions Soon = DashboardBrowser.Soon;

    [ChromiumFact]
    public async Task Should_show_the_admin_apis_numbers_and_follow_the_buys_when_a_sale_sells()
    {
        var sale = await app.CreateSaleAsync(stock: 1_000, perUserLimit: 2);
        var page = await browser.OpenAsync(app.LoopbackUrl!);
        var card = DashboardBrowser.SaleCard(page, sale);

        await DashboardBrowser.ExpectSameNumbersAsync(card, await Admin.ReadSaleAsync(app.Client, sale));
        await Assertions.Expect(card.Locator("[data-field=state]")).ToHaveTextAsync("open", Soon);

        // Buy until this node's row shows reserved answers: rates are per second, so the page must see a second with buys.
        var node = page.Locator("#nodes tr[data-node]").First;
        var buyer = 0;
        await Poll.UntilAsync(async () =>
        {
            using var answer = await app.Client.GetAsync($"/buy/ticket?sale={sale}&user=u{buyer++}&quantity=2");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            // The row is redrawn every second, and shows no answers (p99 "–") once a second had none: both cells are
            // read until one reading shows the buys.
            return await node.CountAsync() > 0
                && double.Parse(await node.Locator("[data-outcome=reserved]").InnerTextAsync(), CultureInfo.InvariantCulture) > 0
                && (await node.Locator("[data-field=p99]").InnerTextAsync()).EndsWith(" ms", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "the node's reserved rate and p99 never showed on the dashboard");

        var sold = await Admin.ReadSaleAsync(app.Client, sale);
        Assert.Equal(2 * buyer, sold.GetProperty("held").GetInt64());
        await DashboardBrowser.ExpectSameNumbersAsync(card, sold);
        await Assertions.Expect(page.Locator("#members tr[data-member] [data-field=status]")).ToHaveTextAsync("up", Soon);
        await Assertions.Expect(page.Locator("#members tr[data-member] [data-field=reachable]")).ToHaveTextAsync("yes", Soon);
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } path)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        }
        Assert.Empty(browser.PageErrors);
    }

    [Fact]
    public async Task Should_stream_events_marked_unbuffered_for_nginx_when_the_events_are_asked_for()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/events");
        using var response = await app.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null && !line.StartsWith("data: ", StringComparison.Ordinal))
        {
        }
        var update = JsonDocument.Parse(line!["data: ".Length..]).RootElement;
        Assert.Equal(JsonValueKind.Array, update.GetProperty("sales").ValueKind);
        Assert.Contains("up", update.GetProperty("members").EnumerateArray().Select(member => member.GetProperty("status").GetString()));
    }
}
