package io.linkly.iii.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.linkly.iii.engine.IiiEngine;
import io.linkly.iii.engine.config.EngineConfig;
import io.linkly.iii.engine.core.Call;
import io.linkly.iii.protocol.Json;
import io.linkly.iii.protocol.TriggerAction;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Calls a handler makes carry the trace context of the call it serves (W3C traceparent/baggage). */
class TraceContextTest {

  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-b7ad6b7169203331-01";

  private IiiEngine engine;

  @BeforeEach
  void start() {
    engine = TestSupport.startEngine(EngineConfig.ephemeral());
  }

  @AfterEach
  void stop() {
    engine.close();
  }

  @ParameterizedTest
  @EnumSource(TestSupport.Link.class)
  void nestedCallsSyncVoidAndAsyncCarryTheServedCallsTraceContext(TestSupport.Link link) throws Exception {
    List<InvocationContext> inner = new CopyOnWriteArrayList<>();
    try (Iii iii = TestSupport.worker(engine, "tracer", link)) {
      iii.registerFunction("trace::inner", (data, ctx) -> inner.add(ctx));
      iii.registerFunction("trace::outer", (data, ctx) -> {
        iii.trigger(TriggerRequest.of("trace::inner", Map.of("how", "sync")));
        iii.trigger(TriggerRequest.of("trace::inner", Map.of("how", "void")).withAction(TriggerAction.Void()));
        iii.triggerAsync(TriggerRequest.of("trace::inner", Map.of("how", "async"))).get(10, TimeUnit.SECONDS);
        return null;
      });
      TestSupport.sync(iii);
      engine.core()
          .invoke(new Call("trace::outer", Json.object(), null, TRACEPARENT, "iii.session.id=s-1", null))
          .get(10, TimeUnit.SECONDS);
      await().until(() -> inner.size() == 3);
      for (InvocationContext ctx : inner) {
        // the engine may put its own span between them: the trace is the same either way
        assertThat(ctx.traceparent()).startsWith("00-" + TRACE_ID + "-");
        assertThat(ctx.baggage()).contains("iii.session.id=s-1");
      }
      // outside a handler, a call carries no context of an earlier one (the engine may start a trace)
      inner.clear();
      iii.trigger(TriggerRequest.of("trace::inner", Map.of()));
      assertThat(inner.get(0).traceparent()).satisfiesAnyOf(
          t -> assertThat(t).isNull(), t -> assertThat(t).doesNotContain(TRACE_ID));
    }
  }
}
