package dev.cprof.hook;

import java.util.Set;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.AdviceAdapter;

/**
 * Rewrites one JDBC implementation class: each execute method of a Statement is timed (entry to
 * every exit, exceptions included), and the statement returned by a Connection's prepare method
 * is named by its text. Only method bodies change (what retransformation allows): no field,
 * method or interface is added, so the original bytes can be put back at any time.
 */
final class JdbcClassTransformer {
    static final int STATEMENT = 1;
    static final int CONNECTION = 2;
    private static final String HOOKS = "dev/cprof/hook/CprofHooks";
    private static final Set<String> EXECUTE = Set.of("execute", "executeQuery", "executeUpdate", "executeLargeUpdate",
            "executeBatch", "executeLargeBatch");
    private static final Set<String> PREPARE = Set.of("prepareStatement", "prepareCall");

    private JdbcClassTransformer() {}

    /**
     * What a class about to load is, from its bytes alone: the JDBC interfaces it names itself,
     * and the kinds of its superclass when that is hooked already (in {@code chosen}).
     */
    static int declaredKinds(byte[] bytes, java.util.Map<String, Integer> chosen) {
        ClassReader reader = new ClassReader(bytes);
        if ((reader.getAccess() & (Opcodes.ACC_INTERFACE | Opcodes.ACC_ANNOTATION)) != 0) {
            return 0;
        }
        int kinds = 0;
        for (String i : reader.getInterfaces()) {
            switch (i) {
                case "java/sql/Statement", "java/sql/PreparedStatement", "java/sql/CallableStatement" -> kinds |= STATEMENT;
                case "java/sql/Connection" -> kinds |= CONNECTION;
                default -> { }
            }
        }
        Integer inherited = reader.getSuperName() != null ? chosen.get(reader.getSuperName()) : null;
        return kinds | (inherited != null ? inherited : 0);
    }

    /** The rewritten class, or null when nothing in it is hooked. */
    static byte[] transform(byte[] original, int kinds) {
        ClassReader reader = new ClassReader(original);
        // Frames are kept, not computed: computing them would load the driver's classes from here.
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        Visitor v = new Visitor(writer, kinds);
        reader.accept(v, ClassReader.EXPAND_FRAMES);
        return v.changed ? writer.toByteArray() : null;
    }

    private static final class Visitor extends ClassVisitor {
        private final int kinds;
        private String owner;
        boolean changed;

        Visitor(ClassVisitor next, int kinds) {
            super(Opcodes.ASM9, next);
            this.kinds = kinds;
        }

        @Override
        public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
            owner = name;
            super.visit(version, access, name, signature, superName, interfaces);
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String desc, String signature, String[] exceptions) {
            MethodVisitor mv = super.visitMethod(access, name, desc, signature, exceptions);
            int skip = Opcodes.ACC_STATIC | Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE | Opcodes.ACC_BRIDGE | Opcodes.ACC_SYNTHETIC;
            if ((access & skip) != 0) {
                return mv;
            }
            boolean stringFirst = desc.startsWith("(Ljava/lang/String;");
            if ((kinds & STATEMENT) != 0 && EXECUTE.contains(name)) {
                changed = true;
                return new ExecuteTimer(mv, owner, access, name, desc, stringFirst);
            }
            if ((kinds & CONNECTION) != 0 && PREPARE.contains(name) && stringFirst
                    && Type.getReturnType(desc).getSort() == Type.OBJECT) {
                changed = true;
                return new PrepareNamer(mv, access, name, desc);
            }
            return mv;
        }
    }

    /** long t = jdbcEnter(); try { body } catch (Throwable e) { jdbcExit(this, sql, t, e); throw e; }, jdbcExit before each return. */
    private static final class ExecuteTimer extends AdviceAdapter {
        private final String owner;
        private final boolean stringFirst;
        private final Label start = new Label();
        private final Label handler = new Label();
        private int startLocal;

        ExecuteTimer(MethodVisitor mv, String owner, int access, String name, String desc, boolean stringFirst) {
            super(Opcodes.ASM9, mv, access, name, desc);
            this.owner = owner;
            this.stringFirst = stringFirst;
        }

        @Override
        protected void onMethodEnter() {
            visitMethodInsn(INVOKESTATIC, HOOKS, "jdbcEnter", "()J", false);
            startLocal = newLocal(Type.LONG_TYPE);
            storeLocal(startLocal);
            visitLabel(start);
        }

        @Override
        protected void onMethodExit(int opcode) {
            if (opcode != ATHROW) {
                pushExitArgs();
                visitInsn(ACONST_NULL);
                visitMethodInsn(INVOKESTATIC, HOOKS, "jdbcExit", "(Ljava/lang/Object;Ljava/lang/String;JLjava/lang/Throwable;)V", false);
            }
        }

        private void pushExitArgs() {
            loadThis();
            if (stringFirst) {
                loadArg(0);
            } else {
                visitInsn(ACONST_NULL);
            }
            loadLocal(startLocal);
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            // Outermost handler (added last): the method's own handlers run first.
            visitTryCatchBlock(start, handler, handler, "java/lang/Throwable");
            visitLabel(handler);
            Type[] args = Type.getArgumentTypes(methodDesc);
            Object[] locals = new Object[1 + args.length];
            locals[0] = owner;
            for (int i = 0; i < args.length; i++) {
                locals[1 + i] = frameType(args[i]);
            }
            visitFrame(F_NEW, locals.length, locals, 1, new Object[] {"java/lang/Throwable"});
            visitInsn(DUP);
            int thrown = newLocal(Type.getType(Throwable.class));
            storeLocal(thrown);
            pushExitArgs();
            loadLocal(thrown);
            visitMethodInsn(INVOKESTATIC, HOOKS, "jdbcExit", "(Ljava/lang/Object;Ljava/lang/String;JLjava/lang/Throwable;)V", false);
            visitInsn(ATHROW);
            super.visitMaxs(maxStack, maxLocals); // COMPUTE_MAXS
        }
    }

    private static Object frameType(Type t) {
        return switch (t.getSort()) {
            case Type.BOOLEAN, Type.BYTE, Type.CHAR, Type.SHORT, Type.INT -> Opcodes.INTEGER;
            case Type.LONG -> Opcodes.LONG;
            case Type.FLOAT -> Opcodes.FLOAT;
            case Type.DOUBLE -> Opcodes.DOUBLE;
            default -> t.getInternalName();
        };
    }

    /** return s  ->  jdbcPrepared(s, sql); return s. */
    private static final class PrepareNamer extends AdviceAdapter {
        PrepareNamer(MethodVisitor mv, int access, String name, String desc) {
            super(Opcodes.ASM9, mv, access, name, desc);
        }

        @Override
        protected void onMethodExit(int opcode) {
            if (opcode == ARETURN) {
                dup();
                loadArg(0);
                visitMethodInsn(INVOKESTATIC, HOOKS, "jdbcPrepared", "(Ljava/lang/Object;Ljava/lang/String;)V", false);
            }
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            super.visitMaxs(maxStack, maxLocals); // COMPUTE_MAXS
        }
    }
}
