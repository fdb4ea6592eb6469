# Sourced by ./iii, ./linkly and .ci/run: points JAVA_HOME at a JDK 21 or newer.
# The machines' default JDK is 17, which cannot build or run this project.

java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
}

select_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME")" -ge 21 ] 2>/dev/null; then
    return 0
  fi
  for candidate in /usr/lib/jvm/temurin-25* /usr/lib/jvm/temurin-2[1-9]* /usr/lib/jvm/*; do
    if [ -x "$candidate/bin/javac" ] && [ "$(java_major "$candidate")" -ge 21 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "error: no JDK 21 or newer found (set JAVA_HOME); this project needs Java 21+" >&2
  return 1
}

select_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
