namespace Spike.Commands;

/// <summary>The exit codes a command ends with; the CLI exits with the same one.</summary>
public static class CommandExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran and failed (a query timed out, the node cannot answer it, an unknown sale).</summary>
    public const int Failed = 1;

    /// <summary>Unknown command or bad arguments; a usage line was printed.</summary>
    public const int Usage = 2;

    /// <summary>Wrong or missing token.</summary>
    public const int Unauthorized = 3;

    /// <summary>The node could not be reached, or the connection broke before the command's exit code arrived.</summary>
    public const int Unreachable = 4;
}
