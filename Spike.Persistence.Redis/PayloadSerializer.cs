using Akka.Actor;

namespace Spike.Persistence.Redis;

/// <summary>A payload as Akka's serialization wrote it: what reading it back needs besides the bytes.</summary>
internal readonly record struct SerializedPayload(int SerializerId, string Manifest, byte[] Bytes);

/// <summary>
/// Serializes events and snapshots with the actor system's serializer bindings, so a payload is stored the way it would
/// cross the wire (string manifests of <c>SerializerWithStringManifest</c>, type manifests of the others).
/// </summary>
internal sealed class PayloadSerializer(ExtendedActorSystem system)
{
    private readonly Akka.Serialization.Serialization _serialization = system.Serialization;

    public SerializedPayload Serialize(object payload)
    {
        var serializer = _serialization.FindSerializerFor(payload);
        // with the system's transport information an actor ref in a payload is written with its full address,
        // so it resolves again after a restart or on another node
        return Akka.Serialization.Serialization.WithTransport(system, () => new SerializedPayload(
            serializer.Identifier,
            Akka.Serialization.Serialization.ManifestFor(serializer, payload),
            serializer.ToBinary(payload)));
    }

    public object Deserialize(SerializedPayload payload) =>
        _serialization.Deserialize(payload.Bytes, payload.SerializerId, payload.Manifest);
}
