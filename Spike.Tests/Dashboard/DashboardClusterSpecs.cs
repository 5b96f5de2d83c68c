using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Dashboard;

/// <summary>
/// The dashboard in headless Chromium against a real multi-process cluster (<see cref="ObservedClusterFixture"/>): the
/// page is opened on the first API node's own port, which stays up while other nodes are killed.
/// </summary>
[Collection(ObservedClusterCollection.Name)]
public sealed class DashboardClusterSpecs(ObservedClusterFixture observed, DashboardBrowser browser) : IClassFixture<DashboardBrowser>
{
    /// <summary>Failure detection (about 3 s), the split-brain resolver's stable-after (5 s), a restart: on a loaded machine.</summary>
    private static readonly LocatorAssertionsToHaveTextOptions Membership = new() { Timeout = 60_000 };
    private static readonly LocatorAssertionsToHaveCountOptions MembershipCount = new() { Timeout = 60_000 };

    private ProcessCluster Cluster => observed.Cluster;

    [ChromiumFact]
    public async Task Should_show_the_admin_apis_sold_and_available_when_buyers_buy_through_every_api_node()
    {
        // arrange: a sale on the page
        var sale = await Cluster.CreateSaleAsync(stock: 500);
        using var admin = new HttpClient { BaseAddress = new Uri(Cluster.ApiNodes[0].Url) };
        var page = await browser.OpenAsync(new Uri(Cluster.ApiNodes[0].Url));
        var card = DashboardBrowser.SaleCard(page, sale);
        await DashboardBrowser.ExpectSameNumbersAsync(card, await Admin.ReadSaleAsync(admin, sale));
        // every API node has its row, quiet ones too (a quiet node publishes no rates)
        await Assertions.Expect(page.Locator("#nodes tr[data-node]")).ToHaveCountAsync(Cluster.ApiNodes.Count, MembershipCount);

        // act: 40 buyers through nginx, which spreads them over both API nodes
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var answer = await Cluster.Nginx.GetAsync($"/buy/ticket?sale={sale}&user=u{i}&requestId=r{i}");
            return (answer.StatusCode, Upstream: answer.Headers.GetValues("X-Spike-Upstream").Last());
        }));

        // assert: the sale sells on, and the page shows what the admin API reads
        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        Assert.Equal(Cluster.ApiNodes.Count, answers.Select(answer => answer.Upstream).Distinct().Count());
        var sold = await Admin.ReadSaleAsync(admin, sale);
        Assert.Equal(40, sold.GetProperty("held").GetInt64());
        await DashboardBrowser.ExpectSameNumbersAsync(card, sold);
        await Assertions.Expect(card.Locator("[data-field=state]")).ToHaveTextAsync("open", DashboardBrowser.Soon);
        Assert.Empty(browser.PageErrors);
    }

    [ChromiumFact]
    public async Task Should_show_a_killed_node_unreachable_then_removed_and_up_again_when_it_restarts_without_a_reload()
    {
        // arrange: every member up on the page, and a mark that a reload would wipe
        var (observer, victim) = (Cluster.ApiNodes[0], Cluster.ApiNodes[1]);
        var page = await browser.OpenAsync(new Uri(observer.Url));
        await page.EvaluateAsync("() => { window.sameDocument = true; }");
        var members = page.Locator("#members tr[data-member]");
        var victimRow = page.Locator($"#members tr[data-member=\"{victim.AkkaAddress}\"]");
        await Assertions.Expect(members).ToHaveCountAsync(Cluster.InventoryNodes.Count + Cluster.ApiNodes.Count, MembershipCount);
        foreach (var node in Cluster.InventoryNodes.Concat(Cluster.ApiNodes))
        {
            await ExpectUpAsync(page, node);
        }

        // act: SIGKILL
        victim.Kill();

        // assert: unreachable, then downed and gone from the members
        await Assertions.Expect(victimRow.Locator("[data-field=reachable]")).ToHaveTextAsync("UNREACHABLE", Membership);
        await Assertions.Expect(victimRow).ToHaveCountAsync(0, MembershipCount);

        // act: the same node started again on its ports
        var restarted = await Cluster.RestartAsync(victim);

        // assert: up again, on the page that was never reloaded
        await ExpectUpAsync(page, restarted);
        await Assertions.Expect(members).ToHaveCountAsync(Cluster.InventoryNodes.Count + Cluster.ApiNodes.Count, MembershipCount);
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
        Assert.Empty(browser.PageErrors);
    }

    private static async Task ExpectUpAsync(IPage page, ClusterNode node)
    {
        var row = page.Locator($"#members tr[data-member=\"{node.AkkaAddress}\"]");
        await Assertions.Expect(row.Locator("[data-field=status]")).ToHaveTextAsync("up", Membership);
        await Assertions.Expect(row.Locator("[data-field=reachable]")).ToHaveTextAsync("yes", Membership);
    }
}
