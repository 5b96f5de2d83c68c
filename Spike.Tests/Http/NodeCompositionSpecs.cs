using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Spike.Actors.Inventory;
using Spike.Host.Serialization;
using Spike.Tests.Fixtures;

namespace Spike.Tests.Http;

/// <summary>What the hosting code composes, checked on the running node.</summary>
[Collection(SpikeAppCollection.Name)]
public sealed class NodeCompositionSpecs(SpikeAppFixture app)
{
    [Fact]
    public void Should_bind_cluster_messages_to_the_binary_serializer_instead_of_json()
    {
        var system = app.Services.GetRequiredService<ActorSystem>();

        var serializer = system.Serialization.FindSerializerFor(new ReserveBatch("s", 1, [], ActorRefs.Nobody, new HolderState(1, 0, 0)));

        Assert.IsType<SpikeSerializer>(serializer);
    }
}
