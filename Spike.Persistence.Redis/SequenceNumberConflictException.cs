namespace Spike.Persistence.Redis;

/// <summary>
/// A write was refused because its lowest sequence number is not above the highest one stored for its persistence
/// id: it was written already (a retry) or another writer got there first. The journal faults the whole write call
/// with it, so the writing actor stops instead of going on with a state the journal does not hold.
/// </summary>
public sealed class SequenceNumberConflictException : Exception
{
    public SequenceNumberConflictException(string persistenceId, long lowestSequenceNr, long storedHighestSequenceNr)
        : base($"Refused to write events {lowestSequenceNr}.. of '{persistenceId}': sequence number {storedHighestSequenceNr} is stored already.")
    {
        PersistenceId = persistenceId;
        LowestSequenceNr = lowestSequenceNr;
        StoredHighestSequenceNr = storedHighestSequenceNr;
    }

    public string PersistenceId { get; }

    public long LowestSequenceNr { get; }

    public long StoredHighestSequenceNr { get; }
}
