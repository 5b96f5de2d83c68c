using Akka.Actor;
using Microsoft.Extensions.Hosting;
using Spike.Actors;
using Spike.Actors.Stock;

namespace Spike.Host.Hosting;

/// <summary>Shows this node's sale board and actor system to Spike's gauges while the node runs.</summary>
internal sealed class MetricsSources(SaleBoard board, ActorSystem system) : IHostedService
{
    private IDisposable[] _registrations = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registrations = [SpikeMetrics.Observe(board), SpikeMetrics.Observe(system)];
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
        return Task.CompletedTask;
    }
}
