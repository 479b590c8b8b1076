package example.spring;

import dev.eventfold.Domain;
import dev.eventfold.Engine;
import example.spring.model.ReadSide;
import example.spring.model.Todos;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The todo app: one engine for the process (it is thread-safe), the typed
 * model and read side over it, and {@link TodoController} for HTTP.
 * {@code todos.model}: the model file; {@code todos.store}: {@code memory:},
 * {@code sqlite:todos.db} or a PostgreSQL URL.
 */
@SpringBootApplication
public class TodoApp {
    public static void main(String[] args) {
        SpringApplication.run(TodoApp.class, args);
    }

    @Bean(destroyMethod = "close")
    Domain domain(@Value("${todos.model:../todos/todos.model}") String model) {
        return Domain.fromFiles(model);
    }

    @Bean(destroyMethod = "close")
    Engine engine(Domain domain, @Value("${todos.store:memory:}") String store) {
        return Engine.open(store, domain);
    }

    @Bean
    Todos todos(Engine engine) {
        return new Todos(engine);
    }

    @Bean
    ReadSide readSide(Engine engine) {
        return new ReadSide(engine);
    }
}
