using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;

namespace Spike.Tests.Support;

/// <summary>
/// Records the Error events of an actor system's event stream: actor failures (a restart or stop by a
/// supervisor) and errors its actors log, whatever logger the system writes them to.
/// </summary>
public sealed class AkkaErrorRecorder : IDisposable
{
    private readonly ConcurrentQueue<Error> _errors = new();
    private readonly ActorSystem _system;
    private readonly IActorRef _listener;

    public AkkaErrorRecorder(ActorSystem system)
    {
        _system = system;
        _listener = system.ActorOf(Props.Create(() => new Listener(_errors)));
        system.EventStream.Subscribe(_listener, typeof(Error));
    }

    /// <summary>The errors published before this call, once the listener has taken them all in.</summary>
    public async Task<IReadOnlyCollection<Error>> ErrorsSoFarAsync(TimeSpan timeout)
    {
        var processed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _listener.Tell(processed); // queued behind every error published so far
        await processed.Task.WaitAsync(timeout);
        return _errors;
    }

    public void Dispose()
    {
        _system.EventStream.Unsubscribe(_listener);
        _system.Stop(_listener);
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(ConcurrentQueue<Error> errors)
        {
            Receive<Error>(errors.Enqueue);
            Receive<TaskCompletionSource>(processed => processed.TrySetResult());
        }
    }
}
