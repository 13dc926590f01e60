defmodule App.Worker do
  use GenServer

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts)

  @impl true
  def init(state), do: {:ok, helper(state)}

  defp helper(x), do: x

  defp unused(x), do: x + 1

  defp ping(0), do: :done
  defp ping(n), do: pong(n - 1)
  defp pong(n), do: ping(n)

  def loop(n), do: ping(n)
end

defmodule App.A do
  def a(x), do: App.B.b(x)
end

defmodule App.B do
  def b(x), do: App.A.a(x)
end

defmodule Mix.Tasks.App.Hello do
  def run(_args), do: greet()
  defp greet, do: :hi
end
