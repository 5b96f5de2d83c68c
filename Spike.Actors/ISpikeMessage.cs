namespace Spike.Actors;

/// <summary>Every message that may cross the cluster; the binary serializer binds to this.</summary>
public interface ISpikeMessage;

/// <summary>A message about one sale; the shard extractor and pub-sub routing bind to this.</summary>
public interface ISaleMessage : ISpikeMessage
{
    string SaleId { get; }
}
