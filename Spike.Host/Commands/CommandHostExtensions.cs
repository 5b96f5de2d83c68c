using Microsoft.Extensions.DependencyInjection;
using Spike.Host.Redis;

namespace Spike.Host.Commands;

public static class CommandHostExtensions
{
    /// <summary>The command host and one handler per command of the table (the dispatcher refuses to start with one missing).</summary>
    public static IServiceCollection AddCommandHost(this IServiceCollection services)
    {
        services.AddSingleton<CommandNode>();
        services.AddSingleton<SaleCatalog>();
        services.AddSingleton<ICommandHandler, HelpCommand>();
        services.AddSingleton<ICommandHandler, ActorSystemCommand>();
        services.AddSingleton<ICommandHandler, ActorHierarchyCommand>();
        services.AddSingleton<ICommandHandler, ClusterShowCommand>();
        services.AddSingleton<ICommandHandler, ClusterStatusCommand>();
        services.AddSingleton<ICommandHandler, ClusterLeaderCommand>();
        services.AddSingleton<ICommandHandler, ClusterJoinCommand>();
        services.AddSingleton<ICommandHandler, ClusterLeaveCommand>();
        services.AddSingleton<ICommandHandler, ClusterDownCommand>();
        services.AddSingleton<ICommandHandler, ClusterDownUnreachableCommand>();
        services.AddSingleton<ICommandHandler, ShardingRegionsCommand>();
        services.AddSingleton<ICommandHandler, ShardingRegionStatsCommand>();
        services.AddSingleton<ICommandHandler, ShardingShardStatsCommand>();
        services.AddSingleton<ICommandHandler, ShardingLocateCommand>();
        services.AddSingleton<ICommandHandler, SaleListCommand>();
        services.AddSingleton<ICommandHandler, SaleShowCommand>();
        services.AddSingleton<ICommandRunner, CommandDispatcher>();
        services.AddHostedService<CommandHost>();
        return services;
    }
}
