package io.linkly.iii.engine.rbac;

/**
 * What a worker listener asks of the sessions it accepts: its {@code rbac} block (null: none) and
 * its {@code middleware_function_id} (null: none). A listener with neither is open: its sessions
 * may do anything, and the call path does no per-call work for them.
 */
public record ListenerPolicy(RbacConfig rbac, String middlewareFunctionId) {

  public static final ListenerPolicy OPEN = new ListenerPolicy(null, null);

  public boolean isOpen() {
    return rbac == null && middlewareFunctionId == null;
  }

  public String authFunctionId() {
    return rbac == null ? null : rbac.authFunctionId();
  }
}
